import Testing
import ThaiyyalEngine

/// Random workflows: whatever they hold, a run ends within the limits with either a result or one
/// clear error, never a crash or a hang; and the same workflow always gives the same result.
@Suite("Random workflows")
struct RandomWorkflowTests {
  /// A small deterministic generator (SplitMix64), so failures reproduce from the seed.
  struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let nodeKinds: [String] = [
    #""data": {"value": 3}"#, #""data": {"value": -2.5}"#, #""data": {"text": "Hello"}"#,
    #""data": {"boolean_value": true}"#,
    #""data": {"op": "add"}"#, #""data": {"op": "divide"}"#, #""data": {"text_op": "uppercase"}"#,
    #""data": {"text_op": "concat"}"#, #""data": {"condition": ">1", "true_path": "t"}"#,
    #""data": {"expression": "input * 2 + 1"}"#, #""data": {"expression": "input.length"}"#,
    #""type": "filter", "data": {"condition": "item > 0"}"#,
    #""type": "range", "data": {"start": 1, "end": 20}"#,
    #""data": {"transform_type": "to_array"}"#, #""data": {"accum_op": "sum"}"#,
    #""data": {"counter_op": "increment"}"#,
    #""type": "reverse""#, #""type": "sort""#, #""data": {"join_strategy": "all"}"#,
    #""data": {"cases": [{"when": "> 2", "output_path": "big"}, {"is_default": true, "output_path": "small"}]}"#,
    #""data": {"var_name": "v", "var_op": "set"}"#,
    #""type": "variable", "data": {"var_name": "v", "var_op": "get"}"#,
    #""type": "renderer""#, #""data": {"fallback_value": 0, "continue_on_error": true}"#,
  ]

  static func randomWorkflow(seed: UInt64) -> String {
    var random = SplitMix(state: seed)
    let count = Int.random(in: 1 ... 25, using: &random)
    var nodes: [String] = []
    var edges: [String] = []
    for index in 0 ..< count {
      nodes.append(#"{"id": "n\#(index)", \#(nodeKinds.randomElement(using: &random)!)}"#)
      // Edges only go forward, so the graph stays acyclic.
      for _ in 0 ..< Int.random(in: 0 ... 2, using: &random) where index > 0 {
        let source = Int.random(in: 0 ..< index, using: &random)
        let handle = ["", #", "sourceHandle": "true""#, #", "sourceHandle": "big""#].randomElement(
          using: &random
        )!
        edges.append(#"{"source": "n\#(source)", "target": "n\#(index)"\#(handle)}"#)
      }
    }
    return
      #"{"nodes": [\#(nodes.joined(separator: ", "))], "edges": [\#(edges.joined(separator: ", "))]}"#
  }

  @Test("500 random workflows all end, deterministically, with a result or exactly one error")
  func randomWorkflows() async throws {
    var succeeded = 0
    for seed in UInt64(1) ... 500 {
      let definition = Self.randomWorkflow(seed: seed)
      let first = await WorkflowEngine().runOffPool(definition: definition)
      let second = await WorkflowEngine().runOffPool(definition: definition)
      #expect(first.errors.count <= 1, "seed \(seed)")
      #expect(
        first.errors.allSatisfy { $0.hasPrefix("error executing node n") },
        "seed \(seed): \(first.errors)"
      )
      #expect(first.nodeResults == second.nodeResults, "seed \(seed)")
      #expect(first.finalOutput == second.finalOutput, "seed \(seed)")
      #expect(first.errors == second.errors, "seed \(seed)")
      if first.errors.isEmpty {
        succeeded += 1
        // The Result always encodes as JSON that parses back.
        let text = JSONWriter().string(first.json)
        #expect((try? JSONParser().parse(text)) != nil, "seed \(seed)")
      }
    }
    // Most random graphs fail on a type mismatch somewhere; enough must run through to matter.
    #expect(succeeded >= 20, "too few random workflows ran through: \(succeeded)")
  }

  /// What must agree between two runs of one workflow: everything but the random execution id and
  /// the measured durations.
  static func observable(_ result: ExecutionResult) -> some Equatable {
    struct Observable: Equatable {
      var nodeResults: [String: JSONValue]
      var finalOutput: JSONValue?
      var errors: [String]
      var runs: [String]
    }
    return Observable(
      nodeResults: result.nodeResults,
      finalOutput: result.finalOutput,
      errors: result.errors,
      runs: result.nodeRuns.map { "\($0.nodeID):\($0.nodeType):\($0.status)" }
    )
  }

  @Test("a concurrent run of a random workflow gives exactly the sequential run's result")
  func concurrentEqualsSequential() async {
    var batched = 0
    for seed in UInt64(1) ... 500 {
      let definition = Self.randomWorkflow(seed: seed &* 7919)
      let sequential = await WorkflowEngine(branchConcurrency: .off).runOffPool(
        definition: definition
      )
      let concurrent = await WorkflowEngine(branchConcurrency: .always).runOffPool(
        definition: definition
      )
      #expect(
        Self.observable(sequential) == Self.observable(concurrent),
        "seed \(seed): \(sequential.errors) vs \(concurrent.errors)"
      )
      #expect(sequential.concurrentNodes == 0)
      batched += concurrent.concurrentNodes
    }
    // The comparison means something only if many nodes really ran alongside others.
    #expect(batched >= 500, "only \(batched) nodes ran concurrently")
  }
}
