/// What a node's executor sees: its data and the results of its feeding nodes, in edge order.
struct NodeInvocation {
  let node: Node
  let inputs: [JSONValue]

  var data: [String: JSONValue] { node.data ?? [:] }
  /// `inputs[0]`, the input most nodes use.
  var input: JSONValue? { inputs.first }
}

/// A node failed; the run stops with `error executing node <id>: <message>`.
struct NodeFailure: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// Runs one node type.
protocol NodeExecutor: Sendable {
  func execute(_ invocation: NodeInvocation) throws(NodeFailure) -> JSONValue
}
