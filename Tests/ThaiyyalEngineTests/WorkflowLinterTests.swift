import Foundation
import Testing

@testable import ThaiyyalEngine

/// `validate --strict`: warnings about what is legal but almost surely a mistake, which never
/// change the result.
@Suite("Strict validation warnings")
struct WorkflowLinterTests {
  static func warnings(_ definition: String) throws -> [String] {
    WorkflowLinter.warnings(try WorkflowDecoder().decode(definition)).map(\.description)
  }

  @Test("a clean workflow, every example and every benchmark shape has no warnings")
  func clean() throws {
    #expect(
      try Self.warnings(
        #"{"nodes": [{"id": "a", "data": {"value": 1, "label": "One"}}, {"id": "c", "type": "condition", "data": {"condition": "input > 0"}}, {"id": "t", "data": {"expression": "node.a + 1"}}], "edges": [{"source": "a", "target": "c"}, {"source": "c", "target": "t", "sourceHandle": "true"}]}"#
      ).isEmpty
    )
    let root = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var limits = EngineLimits()
    limits.maxNodes = 10_000
    for folder in ["examples", "Benchmarks/engine"] {
      let directory = root.appendingPathComponent(folder)
      for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
        var file = directory.appendingPathComponent(name)
        if folder == "examples" { file = file.appendingPathComponent("workflow.json") }
        guard name.hasSuffix(".json") || folder == "examples",
          let text = try? String(contentsOf: file, encoding: .utf8)
        else { continue }
        let workflow = try WorkflowDecoder(limits: limits).decode(text)
        #expect(WorkflowLinter.warnings(workflow).isEmpty, "\(folder)/\(name)")
      }
    }
  }

  @Test("a field the node type does not read, with the likely meant one")
  func unknownField() throws {
    let found = try Self.warnings(
      #"{"nodes": [{"id": "t", "data": {"text": "a"}}, {"id": "u", "type": "text_operation", "data": {"text_op": "uppercase", "textOp": "lowercase", "colour": "red"}}], "edges": [{"source": "t", "target": "u"}]}"#
    )
    #expect(
      found == [
        "nodes[u].data.colour: node u (text_operation) has no field colour; it is ignored",
        "nodes[u].data.textOp: node u (text_operation) has no field textOp; it is ignored (did you mean text_op?)",
      ]
    )
  }

  @Test("an expression naming a node that does not exist, or that does not run before it")
  func references() throws {
    let found = try Self.warnings(
      #"{"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}}, {"id": "e", "data": {"expression": "node.a + node.b + node.ghost"}}, {"id": "f", "data": {"condition": "item > node.e-2", "true_path": "x"}}], "edges": [{"source": "a", "target": "e"}, {"source": "e", "target": "f"}]}"#
    )
    #expect(
      found == [
        "nodes[e].data: node e refers to node.b, which does not run before it (no path of edges leads from b to e)",
        "nodes[e].data: node e refers to node.ghost, which does not exist",
        "nodes[f].data: node f refers to node.e-2, which does not exist",
      ]
    )
  }

  @Test("naming thousands of nodes costs a bounded amount of work; what is past it is counted")
  func referenceBudget() throws {
    // A chain where every node names the one before it: every reference is upstream.
    let count = 20_000
    var nodes = [#"{"id": "n0", "data": {"value": 1}}"#]
    var edges: [String] = []
    for index in 1 ..< count {
      nodes.append(#"{"id": "n\#(index)", "data": {"expression": "node.n\#(index - 1) + 1"}}"#)
      edges.append(#"{"source": "n\#(index - 1)", "target": "n\#(index)"}"#)
    }
    var limits = EngineLimits()
    limits.maxNodes = 100_000
    limits.maxPayloadBytes = 8 << 20
    limits.maxEdges = 100_000
    let workflow = try WorkflowDecoder(limits: limits).decode(
      #"{"nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))]}"#
    )
    let found = WorkflowLinter.warnings(workflow).map(\.description)
    // One pass over the graph per 64 named nodes, as many as the budget affords.
    let passes = WorkflowLinter.referenceCheckBudget / (count + count - 1)
    let checked = min(count - 1, passes * 64)
    #expect(checked < count - 1, "the budget must run out in this test")
    #expect(
      found == [
        "workflow: \(count - 1 - checked) references to other nodes were not checked: the workflow names too many nodes to check them all"
      ]
    )
  }

  @Test("a duration that will not parse")
  func durations() throws {
    let found = try Self.warnings(
      #"{"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "d", "data": {"duration": "5 seconds"}}, {"id": "c", "data": {"cache_op": "set", "cache_key": "k", "ttl": "1h"}}], "edges": [{"source": "a", "target": "d"}, {"source": "d", "target": "c"}]}"#
    )
    #expect(
      found == [
        "nodes[d].data.duration: node d (delay): duration \"5 seconds\" is not a duration (use forms like 500ms, 5s, 1m30s)"
      ]
    )
  }

  @Test("nodes that can never run, and the edges that cannot be followed")
  func neverRun() throws {
    let found = try Self.warnings(
      #"{"nodes": [{"id": "a", "data": {"value": 5}}, {"id": "c", "type": "condition", "data": {"condition": "input > 1"}}, {"id": "yes", "data": {"text": "y"}}, {"id": "after", "data": {"text": "z"}}, {"id": "s", "data": {"cases": [{"when": "input > 1", "output_path": "big"}, {"is_default": true}]}}, {"id": "big", "data": {"text": "b"}}, {"id": "small", "data": {"text": "s"}}, {"id": "n", "data": {"text": "n"}}], "edges": [{"source": "a", "target": "c"}, {"source": "c", "target": "yes", "sourceHandle": "yes"}, {"source": "yes", "target": "after"}, {"source": "a", "target": "s"}, {"source": "s", "target": "big", "sourceHandle": "big"}, {"source": "s", "target": "small", "sourceHandle": "default"}, {"source": "a", "target": "n", "sourceHandle": ""}]}"#
    )
    #expect(
      found == [
        "edges[1]: edge c → yes has sourceHandle \"yes\", which condition c never takes (it takes: false, true)",
        "edges[6]: edge a → n has an empty sourceHandle, which is never followed",
        "nodes[n]: node n can never run: no edge into it can be followed",
        "nodes[yes]: node yes can never run: no edge into it can be followed",
        "nodes[after]: node after can never run: no edge into it can be followed",
      ]
    )
  }

  @Test("warnings never change the result: a workflow with every kind runs as without them")
  func resultUnchanged() async throws {
    let definition =
      #"{"nodes": [{"id": "a", "data": {"value": 5, "colour": "red"}}, {"id": "c", "type": "condition", "data": {"condition": "input > 1"}}, {"id": "no", "data": {"text": "never"}}, {"id": "e", "data": {"expression": "input.value * 2"}}], "edges": [{"source": "a", "target": "c"}, {"source": "c", "target": "no", "sourceHandle": "maybe"}, {"source": "c", "target": "e", "sourceHandle": "true"}]}"#
    #expect(try Self.warnings(definition).count == 3)
    let result = await WorkflowEngine().runOffPool(definition: definition)
    #expect(result.errors.isEmpty)
    #expect(result.finalOutput == 10)
    #expect(result.nodeResults["no"] == nil)
  }
}
