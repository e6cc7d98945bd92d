import Testing

@testable import ThaiyyalEngine

/// The node registry is the one list of types: the decoder, the engine and branch concurrency
/// all follow it.
@Suite("Node registry")
struct NodeRegistryTests {
  @Test("every type is declared once and decodes; requirements and refusals come from the table")
  func declarations() throws {
    #expect(NodeRegistry.all.count == NodeRegistry.types.count)
    #expect(NodeRegistry.types.count == 41)
    for type in NodeRegistry.all {
      #expect(NodeRegistry.types[type.name] === type)
      let definition =
        #"{"nodes": [{"id": "a", "type": "\#(type.name)", "data": {}}], "edges": []}"#
      let problems: [ValidationProblem]
      do {
        _ = try WorkflowDecoder().decode(definition)
        problems = []
      } catch {
        problems = error.problems
      }
      let missing = type.requires?.unmet(in: [:])
      #expect(
        problems.contains { $0.message.hasSuffix("missing required field: \(missing ?? "-")") }
          == (missing != nil),
        "\(type.name): \(problems)"
      )
      #expect(problems.contains { $0.message == type.refusal } == (type.refusal != nil))
      #expect(!problems.contains { $0.message.contains("no executor registered") })
    }
  }

  @Test("only nodes that change shared state are kept out of concurrent batches")
  func sharedState() {
    let stateful = Set(NodeRegistry.all.filter(\.changesSharedState).map(\.name))
    #expect(
      stateful == [
        "variable", "accumulator", "counter", "context_variable", "context_constant", "cache",
      ]
    )
    for type in NodeRegistry.all {
      let node = Node(id: "n", type: type.name, data: [:])
      #expect(BranchSafety.isSafe(node) == !type.changesSharedState)
    }
  }
}
