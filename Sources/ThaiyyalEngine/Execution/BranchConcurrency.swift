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

  /// Types that change the run's shared state (variables, accumulator, counter, context, cache).
  static let stateful: Set<String> = [
    "variable", "accumulator", "counter", "context_variable", "context_constant", "cache",
  ]

  /// A node is safe to run alongside others in its batch when it changes no shared state and none
  /// of its settings mentions `node.` (an expression reading another node's result, which might be
  /// a batch member not yet merged). Variables and context cannot change within a batch.
  static func isSafe(_ node: Node) -> Bool {
    guard !stateful.contains(node.type) else { return false }
    guard let data = node.data else { return true }
    return !data.values.contains(where: mentionsNodeResults)
  }

  private static func mentionsNodeResults(_ value: JSONValue) -> Bool {
    switch value {
    case .string(let text): text.contains("node.")
    case .array(let items): items.contains(where: mentionsNodeResults)
    case .object(let fields): fields.values.contains(where: mentionsNodeResults)
    default: false
    }
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
        switch results[plan.index[workflow.edges[edge].source]!] {
        case .array(let items)?: items.count >= 1000
        case .string(let text)?: text.utf8.count >= 16_384
        default: false
        }
      }
    }
  }
}

extension RunState {
  /// What a batch member may read of the run's state, as a value a child task can own.
  struct Snapshot: Sendable {
    let limits: EngineLimits
    let variables: [String: JSONValue]
    let contextVariables: [String: JSONValue]
    let contextConstants: [String: JSONValue]
    let nodeResults: [String: JSONValue]
  }

  var snapshot: Snapshot {
    Snapshot(
      limits: limits,
      variables: variables,
      contextVariables: contextVariables,
      contextConstants: contextConstants,
      nodeResults: nodeResults
    )
  }

  convenience init(_ snapshot: Snapshot) {
    self.init(limits: snapshot.limits)
    variables = snapshot.variables
    contextVariables = snapshot.contextVariables
    contextConstants = snapshot.contextConstants
    nodeResults = snapshot.nodeResults
  }
}
