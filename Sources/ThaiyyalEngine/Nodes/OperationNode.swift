/// `operation`: add, subtract, multiply or divide the first two inputs (numbers, no coercion).
struct OperationNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard invocation.node.data != nil else {
      throw NodeFailure("expected OperationData, got <nil>")
    }
    guard invocation.inputs.count >= 2 else {
      throw NodeFailure("operation needs 2 inputs, got \(invocation.inputs.count)")
    }
    guard case .number(let a) = invocation.inputs[0], case .number(let b) = invocation.inputs[1]
    else {
      throw NodeFailure("operation inputs must be numbers")
    }
    let op = invocation.data["op"]?.stringValue ?? ""
    switch op {
    case "add": return .number(a + b)
    case "subtract": return .number(a - b)
    case "multiply": return .number(a * b)
    case "divide":
      guard b != 0 else { throw NodeFailure("division by zero") }
      return .number(a / b)
    default:
      throw NodeFailure("unknown operation: \(op)")
    }
  }
}
