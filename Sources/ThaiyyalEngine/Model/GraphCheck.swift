/// Structural checks of the graph: duplicate ids, edges to or from missing nodes, cycles. Node ids
/// are hashed once, into ``Resolution/index``; everything after works on indices.
enum GraphCheck {
  /// The graph with its ids resolved to indices.
  struct Resolution {
    /// Node index by id (the first node with an id, when ids repeat).
    var index: [String: Int] = [:]
    /// For each edge, the indices of its source and target node; -1 where the id is unknown.
    var edgeSource: [Int] = []
    var edgeTarget: [Int] = []
    var problems: [ValidationProblem] = []
  }

  static func resolve(_ workflow: Workflow) -> Resolution {
    var resolution = Resolution()
    resolution.index.reserveCapacity(workflow.nodes.count)
    for (position, node) in workflow.nodes.enumerated() {
      if resolution.index.updateValue(position, forKey: node.id) != nil {
        resolution.problems.append(
          ValidationProblem(field: "nodes[\(node.id)]", message: "duplicate node id: \(node.id)")
        )
      }
    }
    resolution.edgeSource.reserveCapacity(workflow.edges.count)
    resolution.edgeTarget.reserveCapacity(workflow.edges.count)
    for (position, edge) in workflow.edges.enumerated() {
      let source = resolution.index[edge.source]
      let target = resolution.index[edge.target]
      if source == nil {
        resolution.problems.append(
          ValidationProblem(
            field: "edges[\(position)]",
            message: "edge comes from unknown node \(edge.source)"
          )
        )
      }
      if target == nil {
        resolution.problems.append(
          ValidationProblem(
            field: "edges[\(position)]",
            message: "edge goes to unknown node \(edge.target)"
          )
        )
      }
      resolution.edgeSource.append(source ?? -1)
      resolution.edgeTarget.append(target ?? -1)
    }
    guard resolution.problems.isEmpty else { return resolution }
    if let cycle = findCycle(workflow, resolution) {
      resolution.problems.append(
        ValidationProblem(
          field: "edges",
          message:
            "workflow contains cycles (circular dependencies): \(cycle.joined(separator: " → "))"
        )
      )
    }
    return resolution
  }

  /// A cycle as the ids along it (first repeated at the end), or `nil`. Iterative depth-first
  /// search over indices, so a long chain cannot overflow the stack.
  static func findCycle(_ workflow: Workflow, _ resolution: Resolution) -> [String]? {
    let count = workflow.nodes.count
    var outgoing = [[Int]](repeating: [], count: count)
    for (source, target) in zip(resolution.edgeSource, resolution.edgeTarget)
    where source >= 0 && target >= 0 {
      outgoing[source].append(target)
    }
    // 0 unvisited, 1 on the current path, 2 done.
    var color = [UInt8](repeating: 0, count: count)
    var path: [Int] = []
    var stack: [(node: Int, next: Int)] = []
    for start in 0 ..< count where color[start] == 0 {
      color[start] = 1
      path.append(start)
      stack.append((start, 0))
      while let (node, next) = stack.last {
        let targets = outgoing[node]
        if next < targets.count {
          stack[stack.count - 1].next += 1
          let target = targets[next]
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
