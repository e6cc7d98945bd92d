import ArgumentParser
import Foundation
import ThaiyyalEngine

/// `thaiyyal bench engine`: representative workflows run in a loop in this process, printing runs/s
/// and nodes/s for each (decode and validation included, as a server run pays them too).
struct EngineBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "Benchmark the workflow engine on representative workflows."
  )

  @Option(help: "Seconds per workflow.")
  var duration: Double = 2

  @Flag(help: "Run one node at a time (no concurrent branches), for comparison.")
  var sequential = false

  func run() async throws {
    guard duration > 0, duration <= 600 else { throw ValidationError("0 < duration <= 600") }
    #if DEBUG
    print("warning: this is a debug build; build with -c release for meaningful figures")
    #endif
    print("workflow                               nodes      runs/s     nodes/s")
    for (name, definition, nodes) in Self.workflows() {
      let engine = WorkflowEngine(branchConcurrency: sequential ? .off : .automatic)
      let check = await engine.run(definition: definition)
      guard check.succeeded else { throw BenchError("\(name) failed: \(check.errors)") }
      let start = ContinuousClock.now
      let end = start + .milliseconds(Int64(duration * 1000))
      var runs = 0
      while ContinuousClock.now < end {
        for _ in 0 ..< 10 { _ = await engine.run(definition: definition) }
        runs += 10
      }
      let (s, atto) = (ContinuousClock.now - start).components
      let seconds = Double(s) + Double(atto) / 1e18
      print(
        name.padding(toLength: 36, withPad: " ", startingAt: 0)
          + String(
            format: "%8d %11.0f %11.0f",
            nodes,
            Double(runs) / seconds,
            Double(runs * nodes) / seconds
          )
      )
    }
  }

  /// (name, definition, node count).
  static func workflows() -> [(String, String, Int)] {
    func chain(_ count: Int) -> (String, Int) {
      var nodes = [#"{"id": "n0", "data": {"value": 1}}"#, #"{"id": "one", "data": {"value": 1}}"#]
      var edges: [String] = []
      for index in 1 ..< count {
        nodes.append(#"{"id": "n\#(index)", "data": {"op": "add"}}"#)
        edges.append(#"{"source": "n\#(index - 1)", "target": "n\#(index)"}"#)
        edges.append(#"{"source": "one", "target": "n\#(index)"}"#)
      }
      return (
        #"{"nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))]}"#,
        count + 1
      )
    }
    func branches(_ count: Int) -> (String, Int) {
      var nodes = [#"{"id": "in", "data": {"value": 42}}"#]
      var edges: [String] = []
      for index in 0 ..< count {
        nodes.append(
          #"{"id": "c\#(index)", "data": {"condition": "input > \#(index % 80)", "true_path": "t"}}"#
        )
        nodes.append(
          #"{"id": "s\#(index)", "data": {"cases": [{"when": "value > 50", "output_path": "big"}, {"is_default": true, "output_path": "small"}]}}"#
        )
        nodes.append(#"{"id": "t\#(index)", "data": {"text": "yes"}}"#)
        edges.append(#"{"source": "in", "target": "c\#(index)"}"#)
        edges.append(#"{"source": "c\#(index)", "target": "s\#(index)", "sourceHandle": "true"}"#)
        edges.append(#"{"source": "s\#(index)", "target": "t\#(index)", "sourceHandle": "small"}"#)
      }
      return (
        #"{"nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))]}"#,
        count * 3 + 1
      )
    }
    func text(_ count: Int) -> (String, Int) {
      var nodes = [#"{"id": "t0", "data": {"text": "The quick brown fox"}}"#]
      var edges: [String] = []
      let ops = ["uppercase", "lowercase", "titlecase", "inversecase"]
      for index in 1 ..< count {
        nodes.append(#"{"id": "t\#(index)", "data": {"text_op": "\#(ops[index % ops.count])"}}"#)
        edges.append(#"{"source": "t\#(index - 1)", "target": "t\#(index)"}"#)
      }
      return (
        #"{"nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))]}"#,
        count
      )
    }
    let pipeline = """
      {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 9999}}, {"id": "x", "data": {"expression": "input.range"}},
                 {"id": "f", "data": {"condition": "item % 3 == 0"}}, {"id": "y", "data": {"expression": "input.filtered"}},
                 {"id": "m", "type": "map", "data": {"expression": "item * 2 + 1"}}, {"id": "z", "data": {"expression": "input.results"}},
                 {"id": "s", "data": {"expression": "sum(input)"}}],
       "edges": [{"source": "r", "target": "x"}, {"source": "x", "target": "f"}, {"source": "f", "target": "y"},
                 {"source": "y", "target": "m"}, {"source": "m", "target": "z"}, {"source": "z", "target": "s"}]}
      """
    let expressions = """
      {"nodes": [{"id": "a", "data": {"value": 7}},
                 {"id": "e1", "data": {"expression": "input > 5 ? round(input / 2) + pow(2, 3) * 2 : 0"}},
                 {"id": "e2", "data": {"expression": "(input + 3) * (input - 1) % 5"}},
                 {"id": "e3", "data": {"expression": "max(input, 3, 9) + min(1, 2) - abs(-4)"}}],
       "edges": [{"source": "a", "target": "e1"}, {"source": "a", "target": "e2"}, {"source": "a", "target": "e3"}]}
      """
    // Four independent copies of the pipeline, which concurrent branches run side by side.
    let parsed = try! JSONParser().parse(pipeline)
    var wideNodes: [JSONValue] = []
    var wideEdges: [JSONValue] = []
    for copy in 0 ..< 4 {
      func renamed(_ id: JSONValue?) -> JSONValue { .string("p\(copy)-" + (id?.stringValue ?? "")) }
      for case .object(var node) in parsed["nodes"]?.arrayValue ?? [] {
        node["id"] = renamed(node["id"])
        wideNodes.append(.object(node))
      }
      for case .object(var edge) in parsed["edges"]?.arrayValue ?? [] {
        edge["source"] = renamed(edge["source"])
        edge["target"] = renamed(edge["target"])
        wideEdges.append(.object(edge))
      }
    }
    let widePipeline = JSONWriter().string(["nodes": .array(wideNodes), "edges": .array(wideEdges)])
    let (chain10, chain10Count) = chain(10)
    let (chain1000, chain1000Count) = chain(999)
    let (branches100, branchesCount) = branches(100)
    let (text200, textCount) = text(200)
    return [
      ("arithmetic chain", chain10, chain10Count),
      ("arithmetic chain", chain1000, chain1000Count),
      ("conditions and switches", branches100, branchesCount),
      ("text operations", text200, textCount),
      ("array pipeline (9,999 items)", pipeline, 7),
      ("4 pipelines side by side", widePipeline, 28),
      ("expressions", expressions, 4),
    ]
  }
}
