import Testing
import ThaiyyalEngine

/// variable, accumulator, counter: state shared by the nodes of one run, in run order.
@Suite("State nodes")
struct StateNodeTests {
  static let cases: [EngineCase] = [
    EngineCase(
      name: "a variable set by one node is read by a later one",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 42}}, {"id": "set", "data": {"var_name": "x", "var_op": "set"}},
                   {"id": "z", "type": "variable", "data": {"var_name": "x", "var_op": "get"}}],
         "edges": [{"source": "a", "target": "set"}, {"source": "set", "target": "z"}]}
        """,
      finalOutput: ["var_name": "x", "operation": "get", "value": 42]
    ),
    EngineCase(
      name: "reading a variable never set fails",
      definition: #"{"nodes": [{"id": "g", "data": {"var_name": "nope", "var_op": "get"}}]}"#,
      error: "error executing node g: variable 'nope' not found"
    ),
    EngineCase(
      name: "the accumulator is shared by all accumulator nodes",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 2}}, {"id": "b", "data": {"value": 3}},
                   {"id": "s1", "data": {"accum_op": "sum"}}, {"id": "s2", "data": {"accum_op": "sum"}}],
         "edges": [{"source": "a", "target": "s1"}, {"source": "b", "target": "s2"}, {"source": "s1", "target": "s2"}]}
        """,
      nodeResults: [
        "a": 2, "b": 3, "s1": ["operation": "sum", "value": 2],
        "s2": ["operation": "sum", "value": 5],
      ]
    ),
    EngineCase(
      name: "a sum accumulator refuses text",
      definition: """
        {"nodes": [{"id": "t", "data": {"text": "x"}}, {"id": "s", "data": {"accum_op": "sum"}}],
         "edges": [{"source": "t", "target": "s"}]}
        """,
      error: "error executing node s: sum accumulator requires numeric input, got string"
    ),
    EngineCase(
      name: "the counter counts across nodes, and initial_value resets it each time",
      definition: """
        {"nodes": [{"id": "c1", "data": {"counter_op": "increment"}}, {"id": "c2", "data": {"counter_op": "increment", "delta": 5}},
                   {"id": "c3", "data": {"counter_op": "increment", "initial_value": 100}}]}
        """,
      nodeResults: [
        "c1": ["operation": "increment", "value": 1], "c2": ["operation": "increment", "value": 6],
        "c3": ["operation": "increment", "value": 101],
      ]
    ),
  ]

  @Test("table cases", arguments: cases)
  func table(_ engineCase: EngineCase) async {
    await engineCase.check()
  }

  @Test(
    "values a variable stores are limited: arrays by length, checked into arrays but not objects"
  )
  func variableLimits() async {
    var limits = EngineLimits()
    limits.maxArrayLength = 3
    let nested = await run(
      ArrayNodeTests.pipeline(
        #"{"id": "n", "type": "variable", "data": {"var_name": "v", "var_op": "set"}}"#
      ),
      limits: limits
    )
    #expect(
      nested.errors == [
        "error executing node n: variable validation failed: array too large: 6 elements (limit: 3)"
      ]
    )
    let inObject = await run(
      """
      {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 5}},
                 {"id": "s", "data": {"var_name": "v", "var_op": "set"}}],
       "edges": [{"source": "r", "target": "s"}]}
      """,
      limits: limits
    )
    #expect(inObject.errors.isEmpty, "the range array sits inside an object, which is not checked")
  }
}
