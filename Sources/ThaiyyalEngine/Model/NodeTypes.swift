/// How a node's type is inferred from its data keys when it names none (ENGINE.md section 10), and
/// the JSON kinds typed data fields may have. The types themselves are in ``NodeRegistry``.
enum NodeTypes {
  /// The type implied by a node's data keys when it has no type (first rule that matches). The
  /// keys are read once, into a set of flags, instead of looking each rule's key up.
  static func infer(from data: [String: JSONValue]) -> String {
    var keys = Keys()
    for key in data.keys { keys.formUnion(Keys(key)) }
    func has(_ key: Keys) -> Bool { keys.contains(key) }
    if has(.value) { return "number" }
    if has(.text) { return "text_input" }
    if has(.booleanValue) { return "boolean_input" }
    if has(.dateValue) { return "date_input" }
    if has(.datetimeValue) { return "datetime_input" }
    if has(.mode) { return "visualization" }
    if has(.op) { return "operation" }
    if has(.textOp) { return "text_operation" }
    if has(.url) { return "http" }
    if has(.condition) { return has(.truePath) ? "condition" : "filter" }
    if has(.expression) {
      if has(.initialValue) { return "reduce" }
      if case .string(let text)? = data["expression"], !text.isEmpty { return "expression" }
    }
    if has(.varName) && has(.varOp) { return "variable" }
    if has(.field) || has(.fields) { return "extract" }
    if has(.transformType) { return "transform" }
    if has(.accumOp) { return "accumulator" }
    if has(.counterOp) { return "counter" }
    if has(.cases) { return "switch" }
    if has(.joinStrategy) { return "join" }
    if has(.paths) { return "split" }
    if has(.duration) { return "delay" }
    if has(.cacheOp) && has(.cacheKey) { return "cache" }
    if has(.contextName) || has(.contextValues) { return "context_variable" }
    if has(.maxAttempts) || has(.backoffStrategy) { return "retry" }
    if has(.fallbackValue) || has(.continueOnError) { return "try_catch" }
    if has(.timeout) && has(.timeoutAction) { return "timeout" }
    return ""
  }

  /// The data keys type inference reads.
  struct Keys: OptionSet {
    let rawValue: UInt64

    init(rawValue: UInt64) { self.rawValue = rawValue }

    static let value = Keys(rawValue: 1 << 0)
    static let text = Keys(rawValue: 1 << 1)
    static let booleanValue = Keys(rawValue: 1 << 2)
    static let dateValue = Keys(rawValue: 1 << 3)
    static let datetimeValue = Keys(rawValue: 1 << 4)
    static let mode = Keys(rawValue: 1 << 5)
    static let op = Keys(rawValue: 1 << 6)
    static let textOp = Keys(rawValue: 1 << 7)
    static let url = Keys(rawValue: 1 << 8)
    static let condition = Keys(rawValue: 1 << 9)
    static let truePath = Keys(rawValue: 1 << 10)
    static let expression = Keys(rawValue: 1 << 11)
    static let initialValue = Keys(rawValue: 1 << 12)
    static let varName = Keys(rawValue: 1 << 13)
    static let varOp = Keys(rawValue: 1 << 14)
    static let field = Keys(rawValue: 1 << 15)
    static let fields = Keys(rawValue: 1 << 16)
    static let transformType = Keys(rawValue: 1 << 17)
    static let accumOp = Keys(rawValue: 1 << 18)
    static let counterOp = Keys(rawValue: 1 << 19)
    static let cases = Keys(rawValue: 1 << 20)
    static let joinStrategy = Keys(rawValue: 1 << 21)
    static let paths = Keys(rawValue: 1 << 22)
    static let duration = Keys(rawValue: 1 << 23)
    static let cacheOp = Keys(rawValue: 1 << 24)
    static let cacheKey = Keys(rawValue: 1 << 25)
    static let contextName = Keys(rawValue: 1 << 26)
    static let contextValues = Keys(rawValue: 1 << 27)
    static let maxAttempts = Keys(rawValue: 1 << 28)
    static let backoffStrategy = Keys(rawValue: 1 << 29)
    static let fallbackValue = Keys(rawValue: 1 << 30)
    static let continueOnError = Keys(rawValue: 1 << 31)
    static let timeout = Keys(rawValue: 1 << 32)
    static let timeoutAction = Keys(rawValue: 1 << 33)

    /// The flag of `key`; empty for a key inference does not read.
    init(_ key: String) {
      switch key {
      case "value": self = .value
      case "text": self = .text
      case "boolean_value": self = .booleanValue
      case "date_value": self = .dateValue
      case "datetime_value": self = .datetimeValue
      case "mode": self = .mode
      case "op": self = .op
      case "text_op": self = .textOp
      case "url": self = .url
      case "condition": self = .condition
      case "true_path": self = .truePath
      case "expression": self = .expression
      case "initial_value": self = .initialValue
      case "var_name": self = .varName
      case "var_op": self = .varOp
      case "field": self = .field
      case "fields": self = .fields
      case "transform_type": self = .transformType
      case "accum_op": self = .accumOp
      case "counter_op": self = .counterOp
      case "cases": self = .cases
      case "join_strategy": self = .joinStrategy
      case "paths": self = .paths
      case "duration": self = .duration
      case "cache_op": self = .cacheOp
      case "cache_key": self = .cacheKey
      case "context_name": self = .contextName
      case "context_values": self = .contextValues
      case "max_attempts": self = .maxAttempts
      case "backoff_strategy": self = .backoffStrategy
      case "fallback_value": self = .fallbackValue
      case "continue_on_error": self = .continueOnError
      case "timeout": self = .timeout
      case "timeout_action": self = .timeoutAction
      default: self = []
      }
    }
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
