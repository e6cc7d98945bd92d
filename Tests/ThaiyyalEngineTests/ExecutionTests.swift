import Testing
import ThaiyyalEngine

@Suite("Execution order, gating and final output")
struct ExecutionTests {
  static let cases: [EngineCase] = [
    EngineCase(
      name: "an arithmetic chain",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 10}}, {"id": "b", "data": {"value": 5}},
                   {"id": "sum", "data": {"op": "add"}}, {"id": "out", "type": "visualization", "data": {"mode": "text"}}],
         "edges": [{"source": "a", "target": "sum"}, {"source": "b", "target": "sum"}, {"source": "sum", "target": "out"}]}
        """,
      nodeResults: ["a": 10, "b": 5, "sum": 15, "out": 15],
      finalOutput: 15
    ),
    EngineCase(
      name: "operand order is edge order, not node order",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 10}}, {"id": "b", "data": {"value": 4}}, {"id": "d", "data": {"op": "subtract"}}],
         "edges": [{"source": "b", "target": "d"}, {"source": "a", "target": "d"}]}
        """,
      finalOutput: -6
    ),
    EngineCase(
      name: "division by zero fails the run with the node's id",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "z", "data": {"value": 0}}, {"id": "d", "data": {"op": "divide"}}],
         "edges": [{"source": "a", "target": "d"}, {"source": "z", "target": "d"}]}
        """,
      nodeResults: ["a": 1, "z": 0],
      error: "error executing node d: division by zero"
    ),
    EngineCase(
      name: "an operation with one input",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "d", "data": {"op": "add"}}],
         "edges": [{"source": "a", "target": "d"}]}
        """,
      error: "error executing node d: operation needs 2 inputs, got 1"
    ),
    EngineCase(
      name: "operations take numbers only",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "t", "data": {"text": "2"}}, {"id": "d", "data": {"op": "add"}}],
         "edges": [{"source": "a", "target": "d"}, {"source": "t", "target": "d"}]}
        """,
      error: "error executing node d: operation inputs must be numbers"
    ),
    EngineCase(
      name: "an empty workflow succeeds with null output",
      definition: "{}",
      nodeResults: [:],
      finalOutput: .null
    ),
    EngineCase(
      name: "an empty-string handle never matches, so its target is skipped",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "type": "visualization", "data": {"mode": "x"}}],
         "edges": [{"source": "a", "target": "b", "sourceHandle": ""}]}
        """,
      nodeResults: ["a": 1],
      finalOutput: .null
    ),
    EngineCase(
      name: "a handle on an edge from a non-object result never matches; skipping propagates",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "type": "renderer"}, {"id": "c", "type": "renderer"}],
         "edges": [{"source": "a", "target": "b", "sourceHandle": "true"}, {"source": "b", "target": "c"}]}
        """,
      nodeResults: ["a": 1]
    ),
    EngineCase(
      name: "text operations",
      definition: """
        {"nodes": [{"id": "t", "data": {"text": "o'neil-smith hello"}}, {"id": "u", "data": {"text_op": "titlecase"}},
                   {"id": "c", "data": {"text_op": "camelcase"}}, {"id": "i", "data": {"text_op": "inversecase"}},
                   {"id": "r", "data": {"text_op": "repeat", "repeat_n": 2}}, {"id": "j", "data": {"text_op": "concat", "separator": "|"}}],
         "edges": [{"source": "t", "target": "u"}, {"source": "t", "target": "c"}, {"source": "t", "target": "i"},
                   {"source": "t", "target": "r"}, {"source": "u", "target": "j"}, {"source": "c", "target": "j"}]}
        """,
      nodeResults: [
        "t": "o'neil-smith hello", "u": "O'neil-Smith Hello", "c": "o'neil-smithHello",
        "i": "O'NEIL-SMITH HELLO",
        "r": "o'neil-smith helloo'neil-smith hello", "j": "O'neil-Smith Hello|o'neil-smithHello",
      ]
    ),
  ]

  @Test("table cases", arguments: cases)
  func table(_ engineCase: EngineCase) async {
    await engineCase.check()
  }

  @Test("orphans run first, sorted by id as bytes, then in release order")
  func order() async throws {
    let result = await run(
      """
      {"nodes": [{"id": "s", "data": {"value": 0}}, {"id": "c2", "data": {"value": 2}},
                 {"id": "c10", "data": {"value": 10}}, {"id": "c1", "data": {"value": 1}},
                 {"id": "v", "type": "renderer"}],
       "edges": [{"source": "c2", "target": "v"}]}
      """
    )
    #expect(result.nodeRuns.map(\.nodeID) == ["c1", "c10", "c2", "s", "v"])
  }

  @Test("final output is the last executed terminal node, and context nodes only as a fallback")
  func finalOutput() async {
    let result = await run(
      """
      {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}}]}
      """
    )
    #expect(result.finalOutput == 2, "b runs after a, so it is the last terminal node")
  }

  @Test("a node past the node budget stops the run")
  func nodeBudget() async {
    var limits = EngineLimits()
    limits.maxNodeExecutions = 2
    let result = await run(
      #"{"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}}, {"id": "c", "data": {"value": 3}}]}"#,
      limits: limits
    )
    #expect(result.errors == ["maximum node executions exceeded: 3 (limit: 2)"])
    #expect(result.nodeResults == ["a": 1, "b": 2])
  }

  @Test("the Result JSON has the original's shape")
  func resultShape() async throws {
    let result = await run(
      #"{"workflow_id": "w1", "nodes": [{"id": "a", "data": {"value": 1.5}}]}"#
    )
    let json = JSONWriter().string(result.json)
    #expect(json.hasPrefix(#"{"execution_id":""#))
    #expect(json.hasSuffix(#""final_output":1.5,"node_results":{"a":1.5},"workflow_id":"w1"}"#))
    #expect(result.executionID.utf8.count == 16)
    let failed = await run(#"{"nodes": [{"id": "d", "data": {"op": "add"}}]}"#)
    #expect(
      JSONWriter().string(failed.json).contains(
        #""errors":["error executing node d: operation needs 2 inputs, got 0"]"#
      )
    )
  }

  @Test("a run past its wall-clock limit stops at the next node boundary and says it timed out")
  func wallClockLimit() async {
    var limits = EngineLimits()
    limits.maxExecutionTime = .milliseconds(100)
    let result = await WorkflowEngine(limits: limits).runOffPool(
      definition: """
        {"nodes": [{"id": "n", "data": {"value": 1}}, {"id": "d", "data": {"duration": "300ms"}},
                   {"id": "after", "data": {"text_op": "uppercase"}}],
         "edges": [{"source": "n", "target": "d"}, {"source": "d", "target": "after"}]}
        """
    )
    #expect(result.errors == ["context deadline exceeded"])
    #expect(result.timedOut)
    #expect(result.nodeResults["after"] == nil)
    let quick = await WorkflowEngine(limits: limits).runOffPool(
      definition: #"{"nodes": [{"id": "n", "data": {"value": 1}}]}"#
    )
    #expect(!quick.timedOut && quick.errors.isEmpty)
  }
}

@Suite("Validation")
struct ValidationTests {
  func problems(_ definition: String, limits: EngineLimits = EngineLimits()) -> [String] {
    do {
      _ = try WorkflowDecoder(limits: limits).decode(definition)
      return []
    } catch {
      return error.problems.map(\.message)
    }
  }

  @Test("every problem is reported at once, with node ids")
  func allAtOnce() {
    let found = problems(
      """
      {"nodes": [{"id": "a", "data": {"value": "abc"}}, {"id": "a", "data": {"text": "x"}},
                 {"id": "b", "type": "warp_drive", "data": {}}, {"id": "c", "type": "operation", "data": {}},
                 {"id": "h", "data": {"url": "https://example.com"}}],
       "edges": [{"source": "a", "target": "nowhere"}, {"source": "ghost", "target": "a"}]}
      """
    )
    #expect(
      found.contains {
        $0.contains("node a (type number)") && $0.contains("cannot unmarshal string")
      }
    )
    #expect(found.contains("duplicate node id: a"))
    #expect(found.contains("no executor registered for type: warp_drive"))
    #expect(
      found.contains(
        "failed to parse payload: failed to unmarshal data for node c (type operation): missing required field: op"
      )
    )
    #expect(found.contains { $0.contains("HTTP nodes are disabled") })
    #expect(found.contains("edge goes to unknown node nowhere"))
    #expect(found.contains("edge comes from unknown node ghost"))
  }

  @Test("a cycle is named along its nodes")
  func cycle() {
    let found = problems(
      """
      {"nodes": [{"id": "a", "type": "renderer"}, {"id": "b", "type": "renderer"}, {"id": "c", "type": "renderer"}],
       "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}, {"source": "c", "target": "b"}]}
      """
    )
    #expect(found == ["workflow contains cycles (circular dependencies): b → c → b"])
    #expect(
      problems(
        #"{"nodes": [{"id": "s", "type": "renderer"}], "edges": [{"source": "s", "target": "s"}]}"#
      ).count == 1
    )
  }

  @Test("type inference follows the data keys, with the original's surprises")
  func inference() throws {
    let workflow = try WorkflowDecoder().decode(
      """
      {"nodes": [{"id": "f", "data": {"condition": ">5"}}, {"id": "c", "data": {"condition": ">5", "true_path": "x"}},
                 {"id": "r", "data": {"expression": "acc + item", "initial_value": 0}},
                 {"id": "x", "data": {"context_name": "k", "context_value": 1}}]}
      """
    )
    #expect(workflow.nodes.map(\.type) == ["filter", "condition", "reduce", "context_variable"])
  }

  @Test("switch cases: one default, last; other cases need output_path")
  func switchRules() {
    let found = problems(
      """
      {"nodes": [{"id": "s", "type": "switch", "data": {"cases": [{"is_default": true}, {"when": ">1"}]}}]}
      """
    )
    #expect(
      found.contains(
        "default case must be the last case in the array (found at index 0, but last index is 1)"
      )
    )
    #expect(found.contains("case at index 1 must have output_path"))
  }

  @Test("size limits are enforced")
  func limits() {
    var limits = EngineLimits()
    limits.maxNodes = 2
    let found = problems(
      #"{"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 1}}, {"id": "c", "data": {"value": 1}}]}"#,
      limits: limits
    )
    #expect(found == ["3 nodes exceed the limit of 2"])
    limits.maxPayloadBytes = 10
    #expect(
      problems(#"{"nodes": []}  "#, limits: limits).first?.contains("exceeds the limit of 10 bytes")
        == true
    )
  }

  @Test("the deprecated edge field condition stands in for sourceHandle")
  func legacyCondition() throws {
    let workflow = try WorkflowDecoder().decode(
      #"{"nodes": [{"id": "a", "type": "renderer"}, {"id": "b", "type": "renderer"}], "edges": [{"source": "a", "target": "b", "condition": "true"}]}"#
    )
    #expect(workflow.edges.first?.handle == "true")
  }
}
