/// `number`, `text_input`, `boolean_input`: emit their value; incoming edges only gate and order.
struct ConstantNode: NodeExecutor {
  let field: String
  let dataName: String

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard invocation.node.data != nil else { throw NodeFailure("expected \(dataName), got <nil>") }
    return invocation.data[field] ?? .null
  }
}

/// `date_input`, `datetime_input`: emit their date text as written (the original neither parses nor
/// normalises it); without one the node fails when it runs, as in the original.
struct DateInputNode: NodeExecutor {
  let field: String
  let missing: String

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let value = invocation.data[field], value != .null else { throw NodeFailure(missing) }
    return value
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
