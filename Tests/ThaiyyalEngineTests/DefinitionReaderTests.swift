import Foundation
import Testing

@testable import ThaiyyalEngine

/// Decoding a definition's text (read member by member) and decoding its parsed JSON value must
/// agree on everything: the workflow, every problem, and for broken JSON the parser's own error.
@Suite("Definition reader")
struct DefinitionReaderTests {
  /// What decoding gave: the workflow, or its problems.
  enum Outcome: Equatable {
    case workflow(Workflow)
    case problems([ValidationProblem])
  }

  static func outcome(_ body: () throws(ValidationFailure) -> Workflow) -> Outcome {
    do {
      return .workflow(try body())
    } catch {
      return .problems(error.problems)
    }
  }

  /// Decoding `text` directly, and through a parsed value (or the parser's failure).
  static func check(_ text: String, maxDepth: Int = 64) {
    var limits = EngineLimits()
    limits.maxPayloadDepth = maxDepth
    limits.maxNodes = 10_000
    let decoder = WorkflowDecoder(limits: limits)
    let direct = outcome { () throws(ValidationFailure) in try decoder.decode(text) }
    let viaValue: Outcome
    do {
      let root = try JSONParser(maxDepth: maxDepth).parse(text)
      viaValue = outcome { () throws(ValidationFailure) in try decoder.decode(root) }
    } catch {
      viaValue = .problems([ValidationProblem(field: "workflow", message: "\(error)")])
    }
    if direct != viaValue {
      Issue.record("decoded differently: \(text.prefix(300).debugDescription)")
      if case .problems(let a) = direct, case .problems(let b) = viaValue {
        Issue.record("\(a.prefix(3)) vs \(b.prefix(3))")
      }
    }
  }

  static let samples = [
    #"{"workflow_id": "w", "nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "type": "operation", "data": {"op": "add"}}], "edges": [{"source": "a", "target": "b"}, {"source": "a", "target": "b", "sourceHandle": null, "condition": "true"}]}"#,
    #"{"nodes": null, "edges": null}"#, #"{}"#, #"[]"#, #"7"#, #"{"nodes": 5}"#,
    #"{"nodes": [1, "x", null, [], {}], "edges": [{}, 2]}"#,
    #"{"nodes": [{"id": "a", "id": "b", "data": {"value": 1}, "data": {"text": "t"}}], "nodes": [{"id": "c", "data": {"value": 2}}]}"#,
    #"{"extra": {"deep": [[[[{"x": 1}]]]]}, "nodes": [{"id": "a", "data": {"value": 1}, "ignored": [1, {"y": 2}]}]}"#,
    #"  {"nodes" : [ { "id" : "a" , "data" : { "value" : -0.5e3 } } ] , "edges" : [ ] }  "#,
    #"{"nodes": [{"id": "a", "type": 5, "data": "no"}], "edges": [{"source": 1, "target": "a"}, {"source": "a", "target": "zz"}]}"#,
    // Edges before nodes, `nodes` given twice (the last counts), keys with escapes, nested data.
    #"{"edges": [{"source": "a", "target": "b"}, 3], "nodes": 4, "nodes": [{"i\u0064": "a", "data": {"value": 1}}, {"id": "b", "d\u0061ta": {"op": "add", "o": {"p": [1, {"q": null}]}}}]}"#,
    #"{"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "a", "data": {"value": true, "text": 2}}], "edges": [{"source": "a", "target": "a"}]}"#,
    #"{"nodes": [{"id": "x", "data": {"value": 1}}, {"id": "y", "data": {"op": "add"}}], "edges": [{"source": "x", "target": "y"}, {"source": "y", "target": "x"}]}"#,
  ]

  @Test("samples, and every truncation and one-byte change of them, decode alike both ways")
  func parity() throws {
    var texts = Self.samples
    let directory = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Benchmarks/engine")
    for name in ["branching", "expressions", "text-pipeline"] {
      texts.append(
        try String(contentsOf: directory.appendingPathComponent(name + ".json"), encoding: .utf8)
      )
    }
    let replacements = Array(#"{}[],:" 0a-"#.utf8)
    for text in texts {
      Self.check(text)
      Self.check(text, maxDepth: 2)
      Self.check(text, maxDepth: 3)
      let bytes = Array(text.utf8)
      for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 150)) {
        Self.check(String(decoding: bytes[..<cut], as: UTF8.self))
        var changed = bytes
        changed[cut] = replacements[cut % replacements.count]
        Self.check(String(decoding: changed, as: UTF8.self))
      }
    }
  }
}
