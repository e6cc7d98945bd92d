/// The order nodes run in and who feeds whom, computed once per run (ENGINE.md section 4).
///
/// Kahn's algorithm as the original runs it: in-degree counts parallel edges; the first ready set
/// is every node without incoming edges, sorted by id as bytes; ready nodes are taken first in,
/// first out, and taking one walks the edge array in order, releasing targets whose in-degree
/// reaches zero.
struct ExecutionPlan {
  /// Node indices in run order.
  let order: [Int]
  /// For each node, the indices of edges that point at it, in edge-array order.
  let incoming: [[Int]]
  /// For each node, whether any edge leaves it (terminal nodes have none).
  let hasOutgoing: [Bool]
  /// Node index by id.
  let index: [String: Int]

  init(_ workflow: Workflow) {
    var index: [String: Int] = [:]
    for (i, node) in workflow.nodes.enumerated() { index[node.id] = i }
    var inDegree = [Int](repeating: 0, count: workflow.nodes.count)
    var incoming = [[Int]](repeating: [], count: workflow.nodes.count)
    var outgoing = [[Int]](repeating: [], count: workflow.nodes.count)
    for (e, edge) in workflow.edges.enumerated() {
      guard let source = index[edge.source], let target = index[edge.target] else { continue }
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
        let target = index[workflow.edges[e].target]!
        inDegree[target] -= 1
        if inDegree[target] == 0 { queue.append(target) }
      }
    }
    self.order = queue
    self.incoming = incoming
    self.hasOutgoing = outgoing.map { !$0.isEmpty }
    self.index = index
  }
}
