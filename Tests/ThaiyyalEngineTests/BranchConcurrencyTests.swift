import Testing
import ThaiyyalEngine

/// Independent branches run together, and a concurrent run records what a sequential one would.
@Suite("Branch concurrency")
struct BranchConcurrencyTests {
  static let twoDelays = """
    {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}},
               {"id": "da", "data": {"duration": "400ms"}}, {"id": "db", "data": {"duration": "400ms"}},
               {"id": "sum", "data": {"join_strategy": "all"}}],
     "edges": [{"source": "a", "target": "da"}, {"source": "b", "target": "db"},
               {"source": "da", "target": "sum"}, {"source": "db", "target": "sum"}]}
    """

  @Test("two delays on independent branches wait at the same time, with the sequential result")
  func delaysOverlap() async {
    let concurrent = await WorkflowEngine().runOffPool(definition: Self.twoDelays)
    #expect(concurrent.errors.isEmpty)
    // Both delays were started together (how much time that saves is for `bench engine`).
    #expect(concurrent.concurrentNodes == 2)

    let sequential = await WorkflowEngine(branchConcurrency: .off).runOffPool(
      definition: Self.twoDelays
    )
    #expect(sequential.concurrentNodes == 0)
    #expect(sequential.nodeResults == concurrent.nodeResults)
    #expect(sequential.nodeRuns.map(\.nodeID) == concurrent.nodeRuns.map(\.nodeID))
    #expect(
      concurrent.nodeRuns.map(\.nodeID) == ["a", "b", "da", "db", "sum"],
      "node runs are recorded in run order"
    )
  }

  @Test("cheap independent nodes run one at a time unless forced")
  func cheapNodesStaySequential() async {
    let definition = """
      {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}},
                 {"id": "x", "data": {"expression": "input + 1"}}, {"id": "y", "data": {"expression": "input + 2"}}],
       "edges": [{"source": "a", "target": "x"}, {"source": "b", "target": "y"}]}
      """
    let automatic = await WorkflowEngine().runOffPool(definition: definition)
    #expect(automatic.concurrentNodes == 0)
    let forced = await WorkflowEngine(branchConcurrency: .always).runOffPool(definition: definition)
    #expect(forced.concurrentNodes == 4)
    #expect(forced.nodeResults == ["a": 1, "b": 2, "x": 2, "y": 4])
  }

  @Test("a failure in a batch drops the results of nodes after it in run order")
  func failureInBatch() async {
    let definition = """
      {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"text": "x"}},
                 {"id": "t", "data": {"text": "hi"}},
                 {"id": "d", "data": {"op": "add"}}, {"id": "u", "data": {"text_op": "uppercase"}}],
       "edges": [{"source": "a", "target": "d"}, {"source": "t", "target": "d"}, {"source": "t", "target": "u"}]}
      """
    for concurrency in [BranchConcurrency.off, .always] {
      let result = await WorkflowEngine(branchConcurrency: concurrency).runOffPool(
        definition: definition
      )
      #expect(result.errors == ["error executing node d: operation inputs must be numbers"])
      #expect(result.nodeResults["u"] == nil)
      #expect(result.nodeRuns.last?.nodeID == "d")
      #expect(result.nodeRuns.last?.status == .failed)
    }
  }

  @Test("nodes that change shared state or read other nodes' results never run in a batch")
  func statefulNodesAreBarriers() async {
    let definition = """
      {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}},
                 {"id": "s", "data": {"var_name": "v", "var_op": "set"}},
                 {"id": "r", "data": {"expression": "node.s + variables.v"}}],
       "edges": [{"source": "a", "target": "s"}, {"source": "b", "target": "r"}]}
      """
    let result = await WorkflowEngine(branchConcurrency: .always).runOffPool(definition: definition)
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.concurrentNodes == 2, "only the two constants ran together")
    let sequential = await WorkflowEngine(branchConcurrency: .off).runOffPool(
      definition: definition
    )
    #expect(result.nodeResults == sequential.nodeResults)
  }
}

/// A run's input is the workflow variable `input`.
@Suite("Run input")
struct RunInputTests {
  @Test("expressions and variable nodes read the run's input")
  func inputVariable() async throws {
    let definition = """
      {"nodes": [{"id": "g", "type": "variable", "data": {"var_name": "input", "var_op": "get"}},
                 {"id": "e", "data": {"expression": "variables.input.price * 2"}}],
       "edges": [{"source": "g", "target": "e"}]}
      """
    let input = try JSONParser().parse(#"{"price": 21}"#)
    let result = await WorkflowEngine().runOffPool(definition: definition, input: input)
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.finalOutput == 42)
    let without = await WorkflowEngine().runOffPool(definition: definition)
    #expect(without.errors.count == 1)
  }
}
