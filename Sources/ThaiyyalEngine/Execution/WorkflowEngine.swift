/// Runs a decoded ``Workflow`` (ENGINE.md sections 4 to 7): the original's order, input and gating
/// rules, `final_output` chosen deterministically, and the first failure ending the run.
///
/// Pure: no I/O, no shared state between runs. Cancellation and the time limit are checked at
/// every node boundary.
public struct WorkflowEngine: Sendable {
  public var limits: EngineLimits

  public init(limits: EngineLimits = EngineLimits()) {
    self.limits = limits
  }

  /// Decodes and runs a definition. Load failures come back as a failed result whose error is the
  /// first problem, as the original reports them.
  public func run(definition: String) async -> ExecutionResult {
    do {
      let workflow = try WorkflowDecoder(limits: limits).decode(definition)
      return await run(workflow)
    } catch {
      return ExecutionResult(
        executionID: Self.newExecutionID(),
        workflowID: nil,
        nodeResults: [:],
        finalOutput: nil,
        errors: [error.problems.first.map(\.message) ?? "invalid workflow"],
        nodeRuns: []
      )
    }
  }

  public func run(_ workflow: Workflow) async -> ExecutionResult {
    let plan = ExecutionPlan(workflow)
    let deadline = ContinuousClock.now + limits.maxExecutionTime
    var results = [JSONValue?](repeating: nil, count: workflow.nodes.count)
    var nodeRuns: [NodeRun] = []
    var executed = 0
    var failure: String?
    let state = RunState(limits: limits)

    for index in plan.order {
      if Task.isCancelled {
        failure = "execution cancelled"
        break
      }
      if ContinuousClock.now >= deadline {
        failure = "context deadline exceeded"
        break
      }
      let node = workflow.nodes[index]
      guard shouldRun(index, workflow, plan, results) else {
        nodeRuns.append(
          NodeRun(nodeID: node.id, nodeType: node.type, status: .skipped, duration: .zero)
        )
        continue
      }
      executed += 1
      if executed > limits.maxNodeExecutions {
        failure =
          "maximum node executions exceeded: \(executed) (limit: \(limits.maxNodeExecutions))"
        break
      }
      let inputs = plan.incoming[index].compactMap {
        results[plan.index[workflow.edges[$0].source]!]
      }
      let start = ContinuousClock.now
      do {
        let result = try await Self.executor(for: node.type).execute(
          NodeInvocation(node: node, inputs: inputs, state: state)
        )
        results[index] = result
        state.nodeResults[node.id] = result
        nodeRuns.append(
          NodeRun(nodeID: node.id, nodeType: node.type, status: .completed, duration: .now - start)
        )
      } catch {
        nodeRuns.append(
          NodeRun(nodeID: node.id, nodeType: node.type, status: .failed, duration: .now - start)
        )
        failure = "error executing node \(node.id): \(error.message)"
        break
      }
    }

    var nodeResults: [String: JSONValue] = [:]
    for (index, result) in results.enumerated() {
      if let result { nodeResults[workflow.nodes[index].id] = result }
    }
    return ExecutionResult(
      executionID: Self.newExecutionID(),
      workflowID: workflow.workflowID,
      nodeResults: nodeResults,
      finalOutput: failure == nil ? finalOutput(workflow, plan, results) : nil,
      errors: failure.map { [$0] } ?? [],
      nodeRuns: nodeRuns
    )
  }

  /// ENGINE.md section 5: a node with no incoming edges runs; one whose sources all skipped is
  /// skipped; otherwise it runs if any edge from a source that ran is unconditional or satisfied.
  private func shouldRun(
    _ index: Int,
    _ workflow: Workflow,
    _ plan: ExecutionPlan,
    _ results: [JSONValue?]
  ) -> Bool {
    let incoming = plan.incoming[index]
    guard !incoming.isEmpty else { return true }
    for e in incoming {
      let edge = workflow.edges[e]
      guard let result = results[plan.index[edge.source]!] else { continue }
      guard let handle = edge.handle else { return true }
      if Self.satisfies(handle, result) { return true }
    }
    return false
  }

  /// Whether a source's result satisfies an edge's handle (`path`, `output_path`, `true`/`false`).
  static func satisfies(_ handle: String, _ result: JSONValue) -> Bool {
    guard case .object(let fields) = result, !handle.isEmpty else { return false }
    if case .string(let path)? = fields["path"], path == handle { return true }
    if case .string(let path)? = fields["output_path"], path == handle { return true }
    if handle == "true" {
      if case .bool(let value)? = fields["true_path"] { return value }
      if case .bool(let value)? = fields["condition_met"] { return value }
    }
    if handle == "false" {
      if case .bool(let value)? = fields["false_path"] { return value }
      if case .bool(let value)? = fields["condition_met"] { return !value }
    }
    return false
  }

  /// ENGINE.md section 6, made deterministic: the last executed terminal node that is not a context
  /// node, else the last executed terminal context node, else null.
  private func finalOutput(
    _ workflow: Workflow,
    _ plan: ExecutionPlan,
    _ results: [JSONValue?]
  ) -> JSONValue {
    var fallback: JSONValue?
    for index in plan.order.reversed() where !plan.hasOutgoing[index] {
      guard let result = results[index] else { continue }
      let type = workflow.nodes[index].type
      if type == "context_variable" || type == "context_constant" {
        if fallback == nil { fallback = result }
      } else {
        return result
      }
    }
    return fallback ?? .null
  }

  static func executor(for type: String) -> any NodeExecutor {
    switch type {
    case "number": ConstantNode(field: "value", dataName: "NumberData")
    case "text_input": ConstantNode(field: "text", dataName: "TextInputData")
    case "boolean_input": ConstantNode(field: "boolean_value", dataName: "BooleanInputData")
    case "operation": OperationNode()
    case "text_operation": TextOperationNode()
    case "visualization": PassThroughNode(requiresInput: true)
    case "renderer": PassThroughNode(requiresInput: false)
    case "extract": ExtractNode()
    case "transform": TransformNode()
    case "variable": VariableNode()
    case "accumulator": AccumulatorNode()
    case "counter": CounterNode()
    case "range": RangeNode()
    case "slice": SliceNode()
    case "reverse": ReverseNode()
    case "compact": CompactNode()
    case "join": JoinNode()
    case "split": SplitNode()
    case "for_each": ForEachNode()
    case "condition": ConditionNode()
    case "switch": SwitchNode()
    case "expression": ExpressionNode()
    case "filter": FilterNode()
    case "map": MapNode()
    case "reduce": ReduceNode()
    case "find": FindNode()
    case "sort": SortNode()
    case "unique": UniqueNode()
    case "while_loop": WhileLoopNode()
    case "format": FormatNode()
    case "parse": ParseNode()
    case "context_variable": ContextNode(constant: false)
    case "context_constant": ContextNode(constant: true)
    case "try_catch": TryCatchNode()
    case "retry": RetryNode()
    case "timeout": TimeoutNode()
    case "delay": DelayNode()
    case "cache": CacheNode()
    default: UnsupportedNode(type: type)
    }
  }

  static func newExecutionID() -> String {
    var generator = SystemRandomNumberGenerator()
    let value = generator.next() as UInt64
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}

/// A known type whose executor has not been written yet: it fails when reached, never silently.
struct UnsupportedNode: NodeExecutor {
  let type: String

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    throw NodeFailure("node type \(type) is not supported by this engine yet")
  }
}
