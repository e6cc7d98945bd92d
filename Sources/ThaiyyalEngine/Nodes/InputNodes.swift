/// `number`, `text_input`, `boolean_input`: emit their value; incoming edges only gate and order.
struct ConstantNode: NodeExecutor {
  let field: String
  let dataName: String

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard invocation.node.data != nil else { throw NodeFailure("expected \(dataName), got <nil>") }
    return invocation.data[field] ?? .null
  }
}

/// `visualization` returns its input (`mode` is ignored); `renderer` too, or null without input.
struct PassThroughNode: NodeExecutor {
  let requiresInput: Bool

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      if requiresInput { throw NodeFailure("visualization needs at least 1 input") }
      return .null
    }
    return input
  }
}
