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
  let incoming: EdgeLists
  /// For each node, whether any edge leaves it (terminal nodes have none).
  let hasOutgoing: [Bool]
  /// Node index by id.
  let index: NodeIndex
  /// For each edge, the index of its source node (-1 when unknown; such an edge feeds nothing).
  let edgeSource: [Int]
  /// For each node, what executes it.
  let executors: [any NodeExecutor]
  /// For each node, whether it may run beside others (``BranchSafety/isSafe(_:)``).
  let safe: [Bool]
  /// The workflow's expressions, parsed once for all its runs.
  let expressions = ExpressionCache()

  /// Whether every node is in ``order``: not when edges form a cycle.
  var isComplete: Bool { order.count == incoming.count }

  init(_ workflow: Workflow) {
    self.init(workflow, GraphCheck.resolve(workflow))
  }

  /// `types` are the nodes' types when the decoder has looked them up already.
  init(_ workflow: Workflow, _ resolution: GraphCheck.Resolution, types: [NodeType?]? = nil) {
    let count = workflow.nodes.count
    let (sources, targets) = (resolution.edgeSource, resolution.edgeTarget)
    let incoming = EdgeLists(nodeCount: count, targets, sources)
    let outgoing = EdgeLists(nodeCount: count, sources, targets)
    var inDegree = (0 ..< count).map { incoming.degree(of: $0) }
    var queue = Self.byID(inDegree.indices.filter { inDegree[$0] == 0 }, workflow.nodes)
    queue.reserveCapacity(count)
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      outgoing.forEach(of: node) { e in
        let target = targets[e]
        inDegree[target] -= 1
        if inDegree[target] == 0 { queue.append(target) }
      }
    }
    self.order = queue
    self.incoming = incoming
    self.hasOutgoing = (0 ..< count).map { outgoing.degree(of: $0) > 0 }
    self.index = resolution.index
    self.edgeSource = sources
    var executors: [any NodeExecutor] = []
    var safe: [Bool] = []
    executors.reserveCapacity(count)
    safe.reserveCapacity(count)
    for (position, node) in workflow.nodes.enumerated() {
      let type = types.map { $0[position] } ?? NodeRegistry.types[node.type]
      executors.append(type?.executor ?? UnsupportedNode(type: node.type))
      safe.append(BranchSafety.isSafe(node, type))
    }
    self.executors = executors
    self.safe = safe
  }

  /// `indices` sorted by their nodes' ids as bytes. Each id's first eight bytes are packed into
  /// one integer that orders as the bytes do, so most comparisons compare two integers.
  static func byID(_ indices: [Int], _ nodes: [Node]) -> [Int] {
    let keys = indices.map { index -> (prefix: UInt64, index: Int) in
      var prefix: UInt64 = 0
      var taken = 0
      for byte in nodes[index].id.utf8.prefix(8) {
        prefix = prefix << 8 | UInt64(byte)
        taken += 1
      }
      return (prefix << (8 * UInt64(8 - taken)), index)
    }
    return keys.sorted { a, b in
      if a.prefix != b.prefix { return a.prefix < b.prefix }
      return nodes[a.index].id.utf8.lexicographicallyPrecedes(nodes[b.index].id.utf8)
    }.map(\.index)
  }
}
