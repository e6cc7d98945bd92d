/// Structural checks of the graph: duplicate ids, edges to or from missing nodes, cycles.
enum GraphCheck {
  static func problems(_ workflow: Workflow) -> [ValidationProblem] {
    var problems: [ValidationProblem] = []
    var seen: Set<String> = []
    for node in workflow.nodes where !seen.insert(node.id).inserted {
      problems.append(
        ValidationProblem(field: "nodes[\(node.id)]", message: "duplicate node id: \(node.id)")
      )
    }
    for (index, edge) in workflow.edges.enumerated() {
      if !seen.contains(edge.source) {
        problems.append(
          ValidationProblem(
            field: "edges[\(index)]",
            message: "edge comes from unknown node \(edge.source)"
          )
        )
      }
      if !seen.contains(edge.target) {
        problems.append(
          ValidationProblem(
            field: "edges[\(index)]",
            message: "edge goes to unknown node \(edge.target)"
          )
        )
      }
    }
    guard problems.isEmpty else { return problems }
    if let cycle = findCycle(workflow) {
      problems.append(
        ValidationProblem(
          field: "edges",
          message:
            "workflow contains cycles (circular dependencies): \(cycle.joined(separator: " → "))"
        )
      )
    }
    return problems
  }

  /// A cycle as the ids along it (first repeated at the end), or `nil`. Iterative depth-first
  /// search, so a long chain cannot overflow the stack.
  static func findCycle(_ workflow: Workflow) -> [String]? {
    var outgoing: [String: [String]] = [:]
    for edge in workflow.edges { outgoing[edge.source, default: []].append(edge.target) }
    enum Color { case white, grey, black }
    var color: [String: Color] = [:]
    for start in workflow.nodes.map(\.id) where color[start, default: .white] == .white {
      var path: [String] = []
      var stack: [(node: String, next: Int)] = [(start, 0)]
      color[start] = .grey
      path.append(start)
      while !stack.isEmpty {
        let (node, next) = stack[stack.count - 1]
        let targets = outgoing[node] ?? []
        if next < targets.count {
          stack[stack.count - 1].next += 1
          let target = targets[next]
          switch color[target, default: .white] {
          case .grey:
            let from = path.firstIndex(of: target)!
            return Array(path[from...]) + [target]
          case .white:
            color[target] = .grey
            path.append(target)
            stack.append((target, 0))
          case .black:
            continue
          }
        } else {
          color[node] = .black
          path.removeLast()
          stack.removeLast()
        }
      }
    }
    return nil
  }
}
