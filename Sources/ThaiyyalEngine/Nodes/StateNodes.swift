/// `variable`: set or get a workflow variable; set values are checked against the limits.
struct VariableNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let name = invocation.data["var_name"]?.stringValue ?? ""
    let operation = invocation.data["var_op"]?.stringValue ?? ""
    let state = invocation.state
    switch operation {
    case "set":
      guard let value = invocation.input else {
        throw NodeFailure("variable set operation requires input value")
      }
      try Self.check(value, state.limits)
      if state.variables[name] == nil && state.variables.count >= state.limits.maxVariables {
        throw NodeFailure("maximum variables exceeded: \(state.limits.maxVariables)")
      }
      state.variables[name] = value
      return ["var_name": .string(name), "operation": "set", "value": value]
    case "get":
      guard let value = state.variables[name] else {
        throw NodeFailure("variable '\(name)' not found")
      }
      return ["var_name": .string(name), "operation": "get", "value": value]
    default:
      throw NodeFailure("unsupported variable operation: \(operation) (use 'get' or 'set')")
    }
  }

  /// ENGINE.md section 8: string length of the value and of strings inside arrays (not objects),
  /// array lengths (recursively into arrays), and nesting depth.
  static func check(_ value: JSONValue, _ limits: EngineLimits) throws(NodeFailure) {
    let depth = value.depth
    if depth > limits.maxValueDepth {
      throw NodeFailure(
        "variable validation failed: value too deeply nested: \(depth) levels (limit: \(limits.maxValueDepth))"
      )
    }
    var pending = [value]
    while let next = pending.popLast() {
      switch next {
      case .string(let text) where text.utf8.count > limits.maxStringBytes:
        throw NodeFailure(
          "variable validation failed: string too long: \(text.utf8.count) bytes (limit: \(limits.maxStringBytes))"
        )
      case .array(let items):
        if items.count > limits.maxArrayLength {
          throw NodeFailure(
            "variable validation failed: array too large: \(items.count) elements (limit: \(limits.maxArrayLength))"
          )
        }
        pending += items
      default:
        break
      }
    }
  }
}

/// `accumulator`: one value per run shared by all accumulator nodes, folded by `accum_op`.
struct AccumulatorNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let operation = invocation.data["accum_op"]?.stringValue ?? ""
    let state = invocation.state
    let initial: JSONValue
    switch operation {
    case "sum", "count": initial = 0
    case "product": initial = 1
    case "concat": initial = ""
    case "array": initial = .array([])
    default: throw NodeFailure("unsupported accumulator operation: \(operation)")
    }
    var current =
      state.accumulator ?? invocation.data["initial_value"].flatMap { $0 == .null ? nil : $0 }
      ?? initial
    if let input = invocation.input {
      switch operation {
      case "sum", "product":
        guard case .number(let value) = input, case .number(let total) = current else {
          throw NodeFailure(
            "\(operation) accumulator requires numeric input, got \(input.goTypeName)"
          )
        }
        current = .number(operation == "sum" ? total + value : total * value)
      case "concat":
        guard case .string(let value) = input, case .string(let total) = current else {
          throw NodeFailure("concat accumulator requires string input, got \(input.goTypeName)")
        }
        current = .string(total + value)
      case "array":
        var items = current.arrayValue ?? []
        items.append(input)
        current = .array(items)
      default:
        current = .number((current.numberValue ?? 0) + 1)
      }
    }
    state.accumulator = current
    return ["operation": .string(operation), "value": current]
  }
}

/// `counter`: one counter per run (from 0), reset to `initial_value` on every run of a node that
/// has one, then increment, decrement, reset or get.
struct CounterNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let operation = invocation.data["counter_op"]?.stringValue ?? ""
    let state = invocation.state
    let initial = invocation.data["initial_value"]?.numberValue
    if let initial { state.counter = initial }
    let delta = invocation.data["delta"]?.numberValue ?? 1
    switch operation {
    case "increment": state.counter += delta
    case "decrement": state.counter -= delta
    case "reset": state.counter = initial ?? 0
    case "get": break
    default: throw NodeFailure("unsupported counter operation: \(operation)")
    }
    return ["operation": .string(operation), "value": .number(state.counter)]
  }
}
