/// A JSON value as workflows see it: numbers are doubles (as in the original Go engine), objects
/// print with sorted keys (as Go's encoder does), so output is deterministic.
///
/// Values flow between nodes as this type; nothing is re-encoded to text between nodes.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The Go type name the original engine puts in messages (`float64`, `string`, ...).
  public var goTypeName: String {
    switch self {
    case .null: "<nil>"
    case .bool: "bool"
    case .number: "float64"
    case .string: "string"
    case .array: "[]interface {}"
    case .object: "map[string]interface {}"
    }
  }

  public subscript(key: String) -> JSONValue? {
    if case .object(let object) = self { return object[key] }
    return nil
  }

  public var stringValue: String? {
    if case .string(let string) = self { return string }
    return nil
  }

  public var numberValue: Double? {
    if case .number(let number) = self { return number }
    return nil
  }

  public var boolValue: Bool? {
    if case .bool(let bool) = self { return bool }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let array) = self { return array }
    return nil
  }

  public var objectValue: [String: JSONValue]? {
    if case .object(let object) = self { return object }
    return nil
  }

  /// The scalars of nested arrays, in order, at any depth (iteratively, so depth cannot overflow
  /// the stack).
  static func flatten(_ items: [JSONValue]) -> [JSONValue] {
    var flat: [JSONValue] = []
    var stack: [ArraySlice<JSONValue>] = [items[...]]
    while var top = stack.popLast() {
      guard let first = top.first else { continue }
      top = top.dropFirst()
      stack.append(top)
      if case .array(let nested) = first { stack.append(nested[...]) } else { flat.append(first) }
    }
    return flat
  }

  /// Nesting depth as the original counts it: a scalar is 1, each enclosing container adds 1.
  public var depth: Int {
    var deepest = 1
    var stack: [(JSONValue, Int)] = [(self, 1)]
    while let (value, level) = stack.popLast() {
      deepest = max(deepest, level)
      switch value {
      case .array(let items): stack += items.map { ($0, level + 1) }
      case .object(let fields): stack += fields.values.map { ($0, level + 1) }
      default: break
      }
    }
    return deepest
  }
}

// Deliberately not ExpressibleByNilLiteral: `nil` must always mean "no value", never JSON null.
extension JSONValue: ExpressibleByBooleanLiteral,
  ExpressibleByFloatLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(integerLiteral value: Int) { self = .number(Double(value)) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
  }
}
