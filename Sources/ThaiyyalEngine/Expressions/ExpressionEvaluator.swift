/// What an expression can see while it is evaluated.
struct EvaluationScope {
  /// `input` / `item`: the node's input, or the array element being tested.
  var current: JSONValue
  /// Per-item variables (`item`, `index`, `items`, `accumulator`), looked up before `variables`.
  var locals: [(name: String, value: JSONValue)] = []
  /// Workflow variables.
  var variables: [String: JSONValue]
  /// Context values (`context.<name>`).
  var context: [String: JSONValue]
  /// Results of nodes that already ran (`node.<id>`).
  var nodes: [String: JSONValue]
  /// The run's budget, which functions that build values or loop ask.
  let budget: RunBudget

  /// ``RunBudget/checkpoint()`` as an evaluation error.
  func checkpoint() throws(EvaluationError) {
    do { try budget.checkpoint() } catch { throw EvaluationError(error.message) }
  }

  /// ``RunBudget/reserve(bytes:)`` as an evaluation error: before building a string or array.
  func reserve(bytes: Int) throws(EvaluationError) {
    do { try budget.reserve(bytes: bytes) } catch { throw EvaluationError(error.message) }
  }

  /// ``RunBudget/reserve(bytes:)`` for a string that was built (within a bounded factor of its inputs); returns it.
  func checked(_ text: String) throws(EvaluationError) -> String {
    try reserve(bytes: text.utf8.count)
    return text
  }

  /// ``RunBudget/measure(_:)`` as an evaluation error: a container was built; returns it.
  func checked(_ value: JSONValue) throws(EvaluationError) -> JSONValue {
    do { try budget.measure(value) } catch { throw EvaluationError(error.message) }
    return value
  }

  /// ``RunBudget/measure(_:)`` as an evaluation error: the size of a value.
  func measured(_ value: JSONValue) throws(EvaluationError) -> Int {
    do { return try budget.measure(value) } catch { throw EvaluationError(error.message) }
  }

  /// A value's text (`JSONValue.text`), checked: containers are written out as JSON, which costs
  /// their full size however little memory they share.
  func text(_ value: JSONValue) throws(EvaluationError) -> String {
    switch value {
    case .array, .object:
      _ = try checked(value)
      return value.text
    default:
      return value.text
    }
  }
}

/// An expression could not produce a value.
struct EvaluationError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// Evaluates parsed expressions. Recursion follows the tree, whose depth the parser bounds.
enum ExpressionEvaluator {
  /// The boolean reading used by conditions, filters and switch cases: only `true` is true, and an
  /// expression that fails is false (as in the original).
  static func truth(_ expression: Expression, _ scope: EvaluationScope) -> Bool {
    (try? value(expression, scope)) == .bool(true)
  }

  static func value(
    _ expression: Expression,
    _ scope: EvaluationScope
  ) throws(EvaluationError) -> JSONValue {
    switch expression {
    case .number(let value): return .number(value)
    case .string(let value): return .string(value)
    case .bool(let value): return .bool(value)
    case .null: return .null
    case .name(let name): return try resolve(name, scope)
    case .member(let base, let name): return try member(try value(base, scope), name)
    case .index(let base, let index):
      let container = try value(base, scope)
      let key = try value(index, scope)
      switch (container, key) {
      case (.array(let items), .number(let position)):
        guard position >= 0, position == position.rounded(.down),
          Int(exactly: position).map({ $0 < items.count }) == true
        else { throw EvaluationError("index \(key.text) out of range") }
        return items[Int(position)]
      case (.object(let fields), .string(let name)):
        guard let field = fields[name] else { throw EvaluationError("field '\(name)' not found") }
        return field
      default:
        throw EvaluationError("cannot index \(container.goTypeName) with \(key.goTypeName)")
      }
    case .method(let base, let name, let arguments):
      try scope.checkpoint()
      return try Builtins.method(
        name,
        on: try value(base, scope),
        arguments.map { (argument) throws(EvaluationError) in try value(argument, scope) },
        scope
      )
    case .call(let name, let arguments):
      try scope.checkpoint()
      return try Builtins.call(name, arguments, scope)
    case .unary(let op, let operand):
      let operandValue = try value(operand, scope)
      switch op {
      case .not: return .bool(operandValue != .bool(true))
      case .negate: return .number(-(try number(operandValue)))
      case .plus: return .number(try number(operandValue))
      }
    case .binary(let op, let left, let right):
      return try binary(op, try value(left, scope), try value(right, scope))
    case .conditional(let condition, let then, let otherwise):
      return try value(truth(condition, scope) ? then : otherwise, scope)
    case .compareWithInput(let op, let right):
      var left = scope.current
      while case .object(let fields) = left, let inner = fields["value"] { left = inner }
      return try binary(op, left, try value(right, scope))
    }
  }

  /// A name: `input`/`item` is the current value; `variables`, `context` and `node` are their
  /// namespaces; any other name is a field of the current value, else a variable.
  static func resolve(_ name: String, _ scope: EvaluationScope) throws(EvaluationError) -> JSONValue
  {
    switch name {
    case "input", "item": return scope.current
    case "variables":
      var all = scope.variables
      for local in scope.locals { all[local.name] = local.value }
      return .object(all)
    case "context": return .object(scope.context)
    case "node": return .object(scope.nodes)
    default:
      if case .object(let fields) = scope.current, let field = fields[name] { return field }
      if let local = scope.locals.first(where: { $0.name == name }) { return local.value }
      if let variable = scope.variables[name] { return variable }
      throw EvaluationError("unknown name '\(name)'")
    }
  }

  static func member(_ base: JSONValue, _ name: String) throws(EvaluationError) -> JSONValue {
    switch base {
    case .object(let fields):
      if let field = fields[name] { return field }
      throw EvaluationError("field '\(name)' not found")
    case .array(let items) where name == "length": return .number(Double(items.count))
    case .string(let text) where name == "length": return .number(Double(text.utf8.count))
    default: throw EvaluationError("\(base.goTypeName) has no field '\(name)'")
    }
  }

  /// Numbers, and strings that hold one (`"25"`), as numbers.
  static func number(_ value: JSONValue) throws(EvaluationError) -> Double {
    switch value {
    case .number(let number): return number
    case .string(let text):
      if let number = Double(text.trimmingWhitespace()), number.isFinite { return number }
      throw EvaluationError("'\(text.prefix(40))' is not a number")
    default: throw EvaluationError("\(value.goTypeName) is not a number")
    }
  }

  static func numeric(_ value: JSONValue) -> Double? { try? number(value) }

  static func binary(
    _ op: BinaryOperator,
    _ left: JSONValue,
    _ right: JSONValue
  ) throws(EvaluationError) -> JSONValue {
    switch op {
    case .or: return .bool(left == .bool(true) || right == .bool(true))
    case .and: return .bool(left == .bool(true) && right == .bool(true))
    case .equal: return .bool(equal(left, right))
    case .notEqual: return .bool(!equal(left, right))
    case .less, .lessOrEqual, .greater, .greaterOrEqual:
      guard let a = numeric(left), let b = numeric(right) else { return false }
      switch op {
      case .less: return .bool(a < b)
      case .lessOrEqual: return .bool(a <= b)
      case .greater: return .bool(a > b)
      default: return .bool(a >= b)
      }
    case .add: return .number(try number(left) + number(right))
    case .subtract: return .number(try number(left) - number(right))
    case .multiply: return .number(try number(left) * number(right))
    case .divide:
      let divisor = try number(right)
      guard divisor != 0 else { throw EvaluationError("division by zero") }
      return .number(try number(left) / divisor)
    case .remainder:
      let a = try number(left).rounded(.towardZero)
      let b = try number(right).rounded(.towardZero)
      guard b != 0 else { throw EvaluationError("modulo by zero") }
      guard abs(a) < 9e18, abs(b) < 9e18 else {
        throw EvaluationError("modulo operand out of range")
      }
      return .number(Double(Int64(a) % Int64(b)))
    }
  }

  /// ENGINE.md 11.3: nulls equal only nulls; numbers and numeric strings compare as numbers; strings
  /// and booleans exactly; arrays and objects never equal.
  static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
    switch (left, right) {
    case (.null, .null): return true
    case (.null, _), (_, .null): return false
    case (.bool(let a), .bool(let b)): return a == b
    case (.string(let a), .string(let b)):
      if let x = numeric(left), let y = numeric(right) { return x == y }
      return a == b
    default:
      if let x = numeric(left), let y = numeric(right) { return x == y }
      return false
    }
  }
}
