/// Runs a decoded ``Workflow`` (ENGINE.md sections 4 to 7): the original's order, input and gating
/// rules, `final_output` chosen deterministically, and the first failure ending the run.
///
/// Pure: no I/O, no shared state between runs. Cancellation and the time limit are checked at
/// every node boundary. Side-effect-free nodes that are ready together may run at the same time
/// (``BranchConcurrency``); their outcomes are merged in the sequential order, so a concurrent
/// run's result is the sequential run's result.
public struct WorkflowEngine: Sendable {
  public var limits: EngineLimits
  public var branchConcurrency: BranchConcurrency

  public init(
    limits: EngineLimits = EngineLimits(),
    branchConcurrency: BranchConcurrency = .automatic
  ) {
    self.limits = limits
    self.branchConcurrency = branchConcurrency
  }

  /// Decodes and runs a definition. Load failures come back as a failed result whose error is the
  /// first problem, as the original reports them.
  public func run(definition: String, input: JSONValue? = nil) async -> ExecutionResult {
    do {
      let workflow = try WorkflowDecoder(limits: limits).decode(definition)
      return await run(workflow, input: input)
    } catch {
      return .invalid(error)
    }
  }

  /// Runs a workflow. A run's `input` (the original has none) is the workflow variable `input`:
  /// `variables.input` in expressions, and what a `variable` node with `var_name: input` gets.
  public func run(_ workflow: Workflow, input: JSONValue? = nil) async -> ExecutionResult {
    let budget = RunBudget(limits: limits)
    return await budget.watch { await run(workflow, input: input, budget: budget) }
  }

  private func run(
    _ workflow: Workflow,
    input: JSONValue?,
    budget: RunBudget
  ) async -> ExecutionResult {
    let plan = workflow.plan ?? ExecutionPlan(workflow)
    var results = [JSONValue?](repeating: nil, count: workflow.nodes.count)
    var nodeRuns: [NodeRun] = []
    var executed = 0
    var failure: String?
    var concurrentNodes = 0
    var timedOut = false
    let state = RunState(limits: limits, budget: budget, expressions: plan.expressions)
    if let input { state.variables["input"] = input }
    var planner = BatchPlanner(mode: branchConcurrency, nodeCount: workflow.nodes.count)

    var position = 0
    run: while position < plan.order.count {
      do {
        try budget.checkDeadline()
      } catch {
        failure = error.message
        timedOut = error.kind == .time
        break
      }
      let batch = planner.next(from: position, workflow, plan, results)
      position += batch.count

      // Gating and the node-run limit are decided in run order, before anything in the batch runs:
      // every source of a batch member finished before the batch.
      var runnable: [(index: Int, inputs: [JSONValue])] = []
      var refusal: (at: Int, message: String)?
      for (offset, index) in batch.enumerated()
      where shouldRun(index, workflow, plan, results) {
        executed += 1
        if executed > limits.maxNodeExecutions {
          refusal = (
            offset,
            "maximum node executions exceeded: \(executed) (limit: \(limits.maxNodeExecutions))"
          )
          break
        }
        let inputs = plan.incoming[index].compactMap { results[plan.edgeSource[$0]] }
        runnable.append((index, inputs))
      }
      let outcomes: Outcomes
      if runnable.count > 1 {
        outcomes = await Self.runConcurrently(runnable, workflow, plan, state.snapshot)
        concurrentNodes += runnable.count
      } else if let only = runnable.first {
        let node = workflow.nodes[only.index]
        outcomes = Outcomes(
          [(only.index, await Self.execute(node, plan.executors[only.index], only.inputs, state))]
        )
      } else {
        outcomes = Outcomes([])
      }

      // Merged in run order: what a sequential run would have recorded, up to its first failure.
      for (offset, index) in batch.enumerated() {
        if let refusal, refusal.at == offset {
          failure = refusal.message
          break run
        }
        let node = workflow.nodes[index]
        // A node that hit a memory limit fails the run, even when it swallowed the error itself.
        // Time and cancellation stop the run at the next boundary, as the original reports them.
        if outcomes[index] != nil, let exceeded = budget.exceeded, exceeded.kind == .memory {
          nodeRuns.append(
            NodeRun(nodeID: node.id, nodeType: node.type, status: .failed, duration: .zero)
          )
          failure = "error executing node \(node.id): \(exceeded.message)"
          break run
        }
        switch outcomes[index] {
        case nil:
          nodeRuns.append(
            NodeRun(nodeID: node.id, nodeType: node.type, status: .skipped, duration: .zero)
          )
        case .completed(let result, let duration):
          results[index] = result
          state.nodeResults[node.id] = result
          nodeRuns.append(
            NodeRun(nodeID: node.id, nodeType: node.type, status: .completed, duration: duration)
          )
        case .failed(let message, let duration):
          nodeRuns.append(
            NodeRun(nodeID: node.id, nodeType: node.type, status: .failed, duration: duration)
          )
          failure = "error executing node \(node.id): \(message)"
          // Stopped inside the node by the run's time limit.
          timedOut = budget.exceeded?.kind == .time
          break run
        }
      }
    }

    // A stop the last nodes swallowed (a time limit inside an expression) still fails the run.
    if failure == nil, let exceeded = budget.exceeded {
      failure = exceeded.message
      timedOut = exceeded.kind == .time
    }
    return ExecutionResult(
      executionID: Self.newExecutionID(),
      workflowID: workflow.workflowID,
      // Every completed node's result, by id: what the run state collected as it went.
      nodeResults: state.nodeResults,
      finalOutput: failure == nil ? finalOutput(workflow, plan, results) : nil,
      errors: failure.map { [$0] } ?? [],
      nodeRuns: nodeRuns,
      concurrentNodes: concurrentNodes,
      timedOut: timedOut
    )
  }

  /// The outcomes of one batch by node index: a few, so found by a scan, without hashing.
  struct Outcomes {
    let items: [(index: Int, outcome: NodeOutcome)]

    init(_ items: [(Int, NodeOutcome)]) { self.items = items.map { (index: $0.0, outcome: $0.1) } }

    subscript(index: Int) -> NodeOutcome? {
      items.first { $0.index == index }?.outcome
    }
  }

  /// One node's outcome, before it is merged into the run.
  enum NodeOutcome: Sendable {
    case completed(JSONValue, Duration)
    case failed(String, Duration)
  }

  static func execute(
    _ node: Node,
    _ executor: any NodeExecutor,
    _ inputs: [JSONValue],
    _ state: RunState
  ) async -> NodeOutcome {
    let start = ContinuousClock.now
    do {
      let result = try await executor.execute(
        NodeInvocation(node: node, inputs: inputs, state: state)
      )
      do {
        try state.budget.charge(result)
      } catch {
        return .failed(error.message, .now - start)
      }
      return .completed(result, .now - start)
    } catch {
      return .failed(error.message, .now - start)
    }
  }

  /// Runs side-effect-free nodes as child tasks, each over its own copy of the run's state (which
  /// no batch member can change). Results of members after a failing one are simply not merged.
  static func runConcurrently(
    _ runnable: [(index: Int, inputs: [JSONValue])],
    _ workflow: Workflow,
    _ plan: ExecutionPlan,
    _ snapshot: RunState.Snapshot
  ) async -> Outcomes {
    await withTaskGroup(of: (Int, NodeOutcome).self) { group in
      for (index, inputs) in runnable {
        let (node, executor) = (workflow.nodes[index], plan.executors[index])
        group.addTask { (index, await execute(node, executor, inputs, RunState(snapshot))) }
      }
      var outcomes: [(Int, NodeOutcome)] = []
      for await outcome in group { outcomes.append(outcome) }
      return Outcomes(outcomes)
    }
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
      guard let result = results[plan.edgeSource[e]] else { continue }
      guard let handle = workflow.edges[e].handle else { return true }
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
    NodeRegistry.types[type]?.executor ?? UnsupportedNode(type: type)
  }

  static func newExecutionID() -> String {
    var generator = SystemRandomNumberGenerator()
    let value = generator.next() as UInt64
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}

/// The executor of a type validation let through without one of its own. None is today (`http`
/// is refused before anything runs); kept so such a type would fail when reached, never silently.
struct UnsupportedNode: NodeExecutor {
  let type: String

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    throw NodeFailure("node type \(type) is not supported by this engine yet")
  }
}

extension ExecutionResult {
  /// The result of a definition that failed to load: its error is the first problem, as the
  /// original reports it.
  public static func invalid(_ failure: ValidationFailure) -> ExecutionResult {
    ExecutionResult(
      executionID: WorkflowEngine.newExecutionID(),
      workflowID: nil,
      nodeResults: [:],
      finalOutput: nil,
      errors: [failure.problems.first.map(\.message) ?? "invalid workflow"],
      nodeRuns: []
    )
  }
}
