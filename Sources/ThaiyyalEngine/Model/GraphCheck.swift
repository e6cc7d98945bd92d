/// Structural checks of the graph: duplicate ids, edges to or from missing nodes, cycles. Node ids
/// are hashed once, into ``Resolution/index``; everything after works on indices.
enum GraphCheck {
  /// The graph with its ids resolved to indices.
  struct Resolution {
    /// Node index by id (the first node with an id, when ids repeat).
    var index = NodeIndex()
    /// For each edge, the indices of its source and target node; -1 where the id is unknown.
    var edgeSource: [Int] = []
    var edgeTarget: [Int] = []
    var problems: [ValidationProblem] = []
  }

  /// Resolves ids to indices and reports repeated ids and edges to or from unknown nodes. Cycles
  /// are found by ordering the graph (``ExecutionPlan/isComplete``), then named by
  /// ``cycleProblem(_:_:)``.
  static func resolve(_ workflow: Workflow) -> Resolution {
    var resolution = Resolution()
    var problems: [ValidationProblem] = []
    let nodes = workflow.nodes
    resolution.index = NodeIndex(nodes.map(\.id)) { position in
      let id = nodes[position].id
      problems.append(ValidationProblem(field: "nodes[\(id)]", message: "duplicate node id: \(id)"))
    }
    resolution.edgeSource.reserveCapacity(workflow.edges.count)
    resolution.edgeTarget.reserveCapacity(workflow.edges.count)
    for (position, edge) in workflow.edges.enumerated() {
      let source = resolution.index[edge.source]
      let target = resolution.index[edge.target]
      if source == nil {
        problems.append(
          ValidationProblem(
            field: "edges[\(position)]",
            message: "edge comes from unknown node \(edge.source)"
          )
        )
      }
      if target == nil {
        problems.append(
          ValidationProblem(
            field: "edges[\(position)]",
            message: "edge goes to unknown node \(edge.target)"
          )
        )
      }
      resolution.edgeSource.append(source ?? -1)
      resolution.edgeTarget.append(target ?? -1)
    }
    resolution.problems = problems
    return resolution
  }

  /// The problem naming a cycle of the graph, if it has one.
  static func cycleProblem(_ workflow: Workflow, _ resolution: Resolution) -> ValidationProblem? {
    guard let cycle = findCycle(workflow, resolution) else { return nil }
    return ValidationProblem(
      field: "edges",
      message: "workflow contains cycles (circular dependencies): \(cycle.joined(separator: " → "))"
    )
  }

  /// A cycle as the ids along it (first repeated at the end), or `nil`. Iterative depth-first
  /// search over indices, so a long chain cannot overflow the stack.
  static func findCycle(_ workflow: Workflow, _ resolution: Resolution) -> [String]? {
    let count = workflow.nodes.count
    let outgoing = EdgeLists(nodeCount: count, resolution.edgeSource, resolution.edgeTarget)
    // 0 unvisited, 1 on the current path, 2 done.
    var color = [UInt8](repeating: 0, count: count)
    var path: [Int] = []
    var stack: [(node: Int, next: Int)] = []
    for start in 0 ..< count where color[start] == 0 {
      color[start] = 1
      path.append(start)
      stack.append((start, 0))
      while let (node, next) = stack.last {
        let edges = outgoing[node]
        if next < edges.count {
          stack[stack.count - 1].next += 1
          let target = resolution.edgeTarget[edges[edges.startIndex + next]]
          switch color[target] {
          case 1:
            let from = path.firstIndex(of: target)!
            return (path[from...] + [target]).map { workflow.nodes[$0].id }
          case 0:
            color[target] = 1
            path.append(target)
            stack.append((target, 0))
          default:
            continue
          }
        } else {
          color[node] = 2
          path.removeLast()
          stack.removeLast()
        }
      }
    }
    return nil
  }
}

/// For each node, the indices of the edges at one end of it, in edge-array order, in one flat
/// array (compressed rows): one allocation for the whole graph instead of one per node.
struct EdgeLists: Sendable {
  /// Where each node's edges begin in ``edges``; one more entry than nodes.
  private let starts: [Int]
  private let edges: [Int]

  /// Groups edges by `key` (the source or target node of each edge). Edges where either end is
  /// unknown (-1) are left out.
  init(nodeCount: Int, _ key: [Int], _ other: [Int]) {
    var starts = [Int](repeating: 0, count: nodeCount + 1)
    for (node, peer) in zip(key, other) where node >= 0 && peer >= 0 { starts[node + 1] += 1 }
    for node in 0 ..< nodeCount { starts[node + 1] += starts[node] }
    var next = starts
    var edges = [Int](repeating: 0, count: starts[nodeCount])
    for (edge, (node, peer)) in zip(key, other).enumerated() where node >= 0 && peer >= 0 {
      edges[next[node]] = edge
      next[node] += 1
    }
    self.starts = starts
    self.edges = edges
  }

  /// The number of nodes.
  var count: Int { starts.count - 1 }

  subscript(node: Int) -> ArraySlice<Int> { edges[starts[node] ..< starts[node + 1]] }

  /// How many edges `node` has (without making a slice).
  func degree(of node: Int) -> Int { starts[node + 1] - starts[node] }

  /// Calls `body` with each edge of `node`, in order (without making a slice).
  func forEach(of node: Int, _ body: (Int) -> Void) {
    for position in starts[node] ..< starts[node + 1] { body(edges[position]) }
  }
}
