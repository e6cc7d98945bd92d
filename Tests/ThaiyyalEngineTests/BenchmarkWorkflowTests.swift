import Foundation
import Testing
import ThaiyyalEngine

/// The workflows of `thaiyyal bench engine` (Benchmarks/engine/) run, with the shapes and results
/// the benchmark's figures describe: a benchmark that measured failing runs would be meaningless.
@Suite("Benchmark workflows")
struct BenchmarkWorkflowTests {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Benchmarks/engine")

  /// (file stem, nodes, nodes executed, final output).
  static let shapes: [(String, Int, Int, JSONValue)] = [
    ("arithmetic-chain", 100, 100, 42.11111111111111),
    ("text-pipeline", 13, 13, nil),
    ("branching", 32, 14, 32),
    ("array-pipeline", 12, 12, nil),
    ("expressions", 53, 53, 19),
    ("wide", 2002, 2002, 38500),
  ].map { ($0.0, $0.1, $0.2, $0.3 ?? .null) }

  @Test("every shape runs to its expected result, concurrently and sequentially alike")
  func shapes() async throws {
    var limits = EngineLimits()
    limits.maxNodes = 10_000
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
      .filter { $0.hasSuffix(".json") }
    #expect(Set(files) == Set(Self.shapes.map { $0.0 + ".json" }))
    for (name, nodes, executed, output) in Self.shapes {
      let definition = try String(
        contentsOf: Self.directory.appendingPathComponent(name + ".json"),
        encoding: .utf8
      )
      let workflow = try WorkflowDecoder(limits: limits).decode(definition)
      #expect(workflow.nodes.count == nodes, "\(name)")
      let result = await WorkflowEngine(limits: limits).runOffPool(definition: definition)
      #expect(result.errors.isEmpty, "\(name): \(result.errors)")
      #expect(result.nodeRuns.count { $0.status != .skipped } == executed, "\(name)")
      if output != .null { #expect(result.finalOutput == output, "\(name)") }
      let sequential = await WorkflowEngine(limits: limits, branchConcurrency: .off)
        .runOffPool(definition: definition)
      #expect(sequential.finalOutput == result.finalOutput, "\(name)")
      #expect(sequential.nodeResults == result.nodeResults, "\(name)")
    }
  }
}
