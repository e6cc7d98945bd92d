/// The node types of ENGINE.md section 10: how a type is inferred from data keys, and which data
/// fields each type requires at load time, with their JSON kinds.
enum NodeTypes {
  /// Every type the engine knows.
  static let known: Set<String> = [
    "number", "text_input", "boolean_input", "date_input", "datetime_input", "operation",
    "text_operation",
    "visualization", "renderer", "condition", "switch", "expression", "variable", "extract",
    "transform",
    "accumulator", "counter", "filter", "map", "reduce", "find", "slice", "sort", "unique",
    "reverse",
    "compact", "join", "split", "range", "for_each", "while_loop", "parse", "format", "delay",
    "cache",
    "context_variable", "context_constant", "retry", "try_catch", "timeout", "http",
  ]

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

  /// Typed fields per node type; decoding fails on a value of another kind, as Go's unmarshal does.
  static let fieldKinds: [String: [String: Kind]] = [
    "number": ["value": .number],
    "text_input": ["text": .string],
    "boolean_input": ["boolean_value": .bool],
    "date_input": ["date_value": .string],
    "datetime_input": ["datetime_value": .string],
    "operation": ["op": .string],
    "text_operation": ["text_op": .string, "separator": .string, "repeat_n": .number],
    "visualization": ["mode": .string],
    "condition": ["condition": .string],
    "filter": ["condition": .string],
    "find": ["condition": .string],
    "while_loop": ["condition": .string, "max_iterations": .number],
    "expression": ["expression": .string],
    "reduce": ["expression": .string],
    "map": ["expression": .string, "field": .string],
    "variable": ["var_name": .string, "var_op": .string],
    "extract": ["field": .string, "fields": .array],
    "transform": ["transform_type": .string],
    "accumulator": ["accum_op": .string],
    "counter": ["counter_op": .string, "delta": .number],
    "switch": ["cases": .array],
    "split": ["paths": .array],
    "range": ["start": .number, "end": .number, "step": .number],
    "for_each": ["max_iterations": .number],
    "format": ["output_type": .string, "pretty_print": .bool],
    "cache": ["cache_op": .string, "cache_key": .string],
    "timeout": ["timeout": .string, "timeout_action": .string],
    "http": ["url": .string],
    "context_variable": ["context_name": .string, "context_values": .array],
    "context_constant": ["context_name": .string, "context_values": .array],
    "retry": ["max_attempts": .number, "backoff_strategy": .string],
    "try_catch": ["continue_on_error": .bool],
  ]

  /// The load-time check of required fields; returns the missing field's name as Go reports it.
  static func missingRequiredField(type: String, data: [String: JSONValue]) -> String? {
    func present(_ key: String) -> Bool {
      if let value = data[key], value != .null { return true }
      return false
    }
    func nonEmptyArray(_ key: String) -> Bool {
      if case .array(let items)? = data[key] { return !items.isEmpty }
      return false
    }
    switch type {
    case "number": return present("value") ? nil : "value"
    case "text_input": return present("text") ? nil : "text"
    case "boolean_input": return present("boolean_value") ? nil : "boolean_value"
    case "operation": return present("op") ? nil : "op"
    case "text_operation": return present("text_op") ? nil : "text_op"
    case "expression", "reduce": return present("expression") ? nil : "expression"
    case "condition", "filter", "find", "while_loop":
      return present("condition") ? nil : "condition"
    case "range": return present("start") && present("end") ? nil : "start and end"
    case "variable":
      if !present("var_name") { return "var_name" }
      return present("var_op") ? nil : "var_op"
    case "extract": return present("field") || nonEmptyArray("fields") ? nil : "field or fields"
    case "transform": return present("transform_type") ? nil : "transform_type"
    case "accumulator": return present("accum_op") ? nil : "accum_op"
    case "counter": return present("counter_op") ? nil : "counter_op"
    case "format": return present("output_type") ? nil : "output_type"
    case "switch": return nonEmptyArray("cases") ? nil : "cases"
    case "split": return nonEmptyArray("paths") ? nil : "paths"
    case "delay": return present("duration") ? nil : "duration"
    case "cache":
      if !present("cache_op") { return "cache_op" }
      return present("cache_key") ? nil : "cache_key"
    case "timeout": return present("timeout") ? nil : "timeout"
    case "http": return present("url") ? nil : "url"
    case "context_variable", "context_constant":
      return nonEmptyArray("context_values") || present("context_name")
        ? nil : "context_values or context_name"
    default: return nil
    }
  }
}
