/// When a run may execute independent branches at the same time. Concurrency never changes a
/// result: only nodes that neither change the run's shared state nor read other nodes' results
/// run together, and their outcomes are merged in the sequential run order.
public enum BranchConcurrency: Sendable, Hashable {
  /// One node at a time.
  case off
  /// Together when at least two of the ready nodes look costly enough to pay for a task each
  /// (a delay, a large array or text input, a large range). The default.
  case automatic
  /// Together whenever two side-effect-free nodes are ready at once (tests use this).
  case always
}

/// Which nodes may run alongside others, and which look worth it.
enum BranchSafety {
  /// The most nodes started together.
  static let maxBatch = 64

  /// A node is safe to run alongside others in its batch when it changes no shared state and none
  /// of its settings mentions `node.` (an expression reading another node's result, which might be
  /// a batch member not yet merged). Variables and context cannot change within a batch.
  static func isSafe(_ node: Node) -> Bool {
    isSafe(node, NodeRegistry.types[node.type])
  }

  /// ``isSafe(_:)`` with the node's type already looked up.
  static func isSafe(_ node: Node, _ type: NodeType?) -> Bool {
    guard type?.changesSharedState == false else { return false }
    guard let data = node.data else { return true }
    return !data.values.contains(where: mentionsNodeResults)
  }

  private static func mentionsNodeResults(_ value: JSONValue) -> Bool {
    switch value {
    case .string(let text): containsNodeDot(text.utf8)
    case .array(let items): items.contains(where: mentionsNodeResults)
    case .object(let fields): fields.values.contains(where: mentionsNodeResults)
    default: false
    }
  }

  private static let nodeDot: [UInt8] = Array("node.".utf8)

  /// Whether `text` contains `node.`, by bytes (cheaper than a general substring search).
  private static func containsNodeDot(_ text: String.UTF8View) -> Bool {
    let pattern = nodeDot
    var matched = 0
    for byte in text {
      if byte == pattern[matched] {
        matched += 1
        if matched == pattern.count { return true }
      } else {
        matched = byte == pattern[0] ? 1 : 0
      }
    }
    return false
  }

  /// Whether a node probably costs more than starting a task: it waits, or it walks a big input.
  static func looksCostly(
    _ index: Int,
    _ workflow: Workflow,
    _ plan: ExecutionPlan,
    _ results: [JSONValue?]
  ) -> Bool {
    let node = workflow.nodes[index]
    switch node.type {
    case "delay":
      return true
    case "range":
      let start = node.data?["start"]?.numberValue ?? 0
      let end = node.data?["end"]?.numberValue ?? 10
      let step = node.data?["step"]?.numberValue ?? 1
      return step != 0 && abs((end - start) / step) >= 1000
    default:
      return plan.incoming[index].contains { edge in
        switch results[plan.edgeSource[edge]] {
        case .array(let items)?: items.count >= 1000
        case .string(let text)?: text.utf8.count >= 16_384
        default: false
        }
      }
    }
  }
}

/// Chooses, run by run, which nodes start together. Per run: each node's safety is worked out
/// once, and a stretch of ready nodes judged not worth tasks is then run one at a time without
/// being judged again.
struct BatchPlanner {
  let mode: BranchConcurrency
  /// The position of the batch a node was last put in, to test membership without a set.
  private var batchOf: [Int]
  /// Positions before this run one at a time.
  private var sequentialUntil = 0

  init(mode: BranchConcurrency, nodeCount: Int) {
    self.mode = mode
    batchOf = [Int](repeating: -1, count: nodeCount)
  }

  /// The nodes to run next, starting at `position` in run order: one node, or the longest run of
  /// consecutive safe nodes none of which feeds another, so each one's inputs are ready before the
  /// batch starts.
  mutating func next(
    from position: Int,
    _ workflow: Workflow,
    _ plan: ExecutionPlan,
    _ results: [JSONValue?]
  ) -> ArraySlice<Int> {
    let single = plan.order[position ..< position + 1]
    guard mode != .off, position >= sequentialUntil, plan.safe[plan.order[position]] else {
      return single
    }
    batchOf[plan.order[position]] = position
    var end = position + 1
    while end < plan.order.count, end - position < BranchSafety.maxBatch {
      let candidate = plan.order[end]
      guard plan.safe[candidate],
        !plan.incoming[candidate].contains(where: {
          batchOf[plan.edgeSource[$0]] == position
        })
      else { break }
      batchOf[candidate] = position
      end += 1
    }
    let batch = plan.order[position ..< end]
    guard batch.count > 1 else { return single }
    if mode == .always { return batch }
    let costly = batch.count { BranchSafety.looksCostly($0, workflow, plan, results) }
    guard costly >= 2 else {
      sequentialUntil = end
      return single
    }
    return batch
  }

}

extension RunState {
  /// What a batch member may read of the run's state, as a value a child task can own.
  struct Snapshot: Sendable {
    let limits: EngineLimits
    let budget: RunBudget
    let variables: [String: JSONValue]
    let contextVariables: [String: JSONValue]
    let contextConstants: [String: JSONValue]
    let nodeResults: [String: JSONValue]
    let expressions: ExpressionCache
  }

  var snapshot: Snapshot {
    Snapshot(
      limits: limits,
      budget: budget,
      variables: variables,
      contextVariables: contextVariables,
      contextConstants: contextConstants,
      nodeResults: nodeResults,
      expressions: expressions
    )
  }

  convenience init(_ snapshot: Snapshot) {
    self.init(limits: snapshot.limits, budget: snapshot.budget, expressions: snapshot.expressions)
    variables = snapshot.variables
    contextVariables = snapshot.contextVariables
    contextConstants = snapshot.contextConstants
    nodeResults = snapshot.nodeResults
  }
}
