/// The order nodes run in and who feeds whom (ENGINE.md section 4), computed once per decoded
/// workflow, on node indices: a run looks nothing up by id.
///
/// Kahn's algorithm as the original runs it: in-degree counts parallel edges; the first ready set
/// is every node without incoming edges, sorted by id as bytes; ready nodes are taken first in,
/// first out, and taking one walks the edge array in order, releasing targets whose in-degree
/// reaches zero.
struct ExecutionPlan: Sendable {
  /// Node indices in run order.
  let order: [Int]
  /// For each node, the indices of edges that point at it, in edge-array order.
  let incoming: [[Int]]
  /// For each node, whether any edge leaves it (terminal nodes have none).
  let hasOutgoing: [Bool]
  /// Node index by id.
  let index: [String: Int]
  /// For each edge, the index of its source node (-1 when unknown; such an edge feeds nothing).
  let edgeSource: [Int]
  /// For each node, what executes it.
  let executors: [any NodeExecutor]
  /// For each node, whether it may run beside others (``BranchSafety/isSafe(_:)``).
  let safe: [Bool]
  /// The workflow's expressions, parsed once for all its runs.
  let expressions = ExpressionCache()

  init(_ workflow: Workflow) {
    self.init(workflow, GraphCheck.resolve(workflow))
  }

  init(_ workflow: Workflow, _ resolution: GraphCheck.Resolution) {
    let count = workflow.nodes.count
    var inDegree = [Int](repeating: 0, count: count)
    var incoming = [[Int]](repeating: [], count: count)
    var outgoing = [[Int]](repeating: [], count: count)
    for e in workflow.edges.indices {
      let (source, target) = (resolution.edgeSource[e], resolution.edgeTarget[e])
      guard source >= 0, target >= 0 else { continue }
      inDegree[target] += 1
      incoming[target].append(e)
      outgoing[source].append(e)
    }
    var queue = inDegree.indices.filter { inDegree[$0] == 0 }.sorted {
      workflow.nodes[$0].id.utf8.lexicographicallyPrecedes(workflow.nodes[$1].id.utf8)
    }
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      for e in outgoing[node] {
        let target = resolution.edgeTarget[e]
        inDegree[target] -= 1
        if inDegree[target] == 0 { queue.append(target) }
      }
    }
    self.order = queue
    self.incoming = incoming
    self.hasOutgoing = outgoing.map { !$0.isEmpty }
    self.index = resolution.index
    self.edgeSource = resolution.edgeSource
    var executors: [any NodeExecutor] = []
    var safe: [Bool] = []
    executors.reserveCapacity(count)
    safe.reserveCapacity(count)
    for node in workflow.nodes {
      let type = NodeRegistry.types[node.type]
      executors.append(type?.executor ?? UnsupportedNode(type: node.type))
      safe.append(BranchSafety.isSafe(node, type))
    }
    self.executors = executors
    self.safe = safe
  }
}
