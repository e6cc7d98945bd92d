/// How a node's type is inferred from its data keys when it names none (ENGINE.md section 10), and
/// the JSON kinds typed data fields may have. The types themselves are in ``NodeRegistry``.
enum NodeTypes {
  /// The type implied by a node's data keys when it has no type (first rule that matches).
  static func infer(from data: [String: JSONValue]) -> String {
    func has(_ key: String) -> Bool { data[key] != nil }
    if has("value") { return "number" }
    if has("text") { return "text_input" }
    if has("boolean_value") { return "boolean_input" }
    if has("date_value") { return "date_input" }
    if has("datetime_value") { return "datetime_input" }
    if has("mode") { return "visualization" }
    if has("op") { return "operation" }
    if has("text_op") { return "text_operation" }
    if has("url") { return "http" }
    if has("condition") { return has("true_path") ? "condition" : "filter" }
    if has("expression") {
      if has("initial_value") { return "reduce" }
      if case .string(let text)? = data["expression"], !text.isEmpty { return "expression" }
    }
    if has("var_name") && has("var_op") { return "variable" }
    if has("field") || has("fields") { return "extract" }
    if has("transform_type") { return "transform" }
    if has("accum_op") { return "accumulator" }
    if has("counter_op") { return "counter" }
    if has("cases") { return "switch" }
    if has("join_strategy") { return "join" }
    if has("paths") { return "split" }
    if has("duration") { return "delay" }
    if has("cache_op") && has("cache_key") { return "cache" }
    if has("context_name") || has("context_values") { return "context_variable" }
    if has("max_attempts") || has("backoff_strategy") { return "retry" }
    if has("fallback_value") || has("continue_on_error") { return "try_catch" }
    if has("timeout") && has("timeout_action") { return "timeout" }
    return ""
  }

  /// JSON kinds a data field may have.
  enum Kind: String {
    case number, string, bool, array, object, any

    func accepts(_ value: JSONValue) -> Bool {
      switch (self, value) {
      case (.any, _), (_, .null): true
      case (.number, .number), (.string, .string), (.bool, .bool), (.array, .array),
        (.object, .object):
        true
      default: false
      }
    }

    var goName: String {
      switch self {
      case .number: "float64"
      case .string: "string"
      case .bool: "bool"
      case .array: "[]interface {}"
      case .object: "map[string]interface {}"
      case .any: "interface {}"
      }
    }
  }
}
