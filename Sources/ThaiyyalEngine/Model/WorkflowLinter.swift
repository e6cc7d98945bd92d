/// What `validate --strict` warns about: what is legal but almost surely a mistake. Warnings never
/// change whether a workflow is accepted, how it runs, or its result (the original runs such
/// workflows too); they only tell the author.
///
/// - A data key the node's type does not read (a typo such as `textOp` for `text_op`).
/// - An expression that names a node (`node.<id>`) that does not exist, or that does not run
///   before it (not upstream of it): such a reference fails when evaluated.
/// - A duration that will not parse (`delay`, `timeout`, `cache` and `retry` fields).
/// - A node that can never run: every edge into it has a `sourceHandle` its source never
///   produces (a condition takes only `true` or `false`; a switch only its cases' paths; an empty
///   handle never matches; a constant never matches any), or comes from such a node.
public enum WorkflowLinter {
  /// Warnings about a decoded (valid) workflow, in node order, then edge order.
  public static func warnings(_ workflow: Workflow) -> [ValidationProblem] {
    let plan = workflow.plan ?? ExecutionPlan(workflow)
    var warnings: [ValidationProblem] = []
    for node in workflow.nodes {
      warnings += unknownKeys(node)
      warnings += durations(node)
    }
    warnings += references(workflow, plan)
    warnings += neverRun(workflow, plan)
    return warnings
  }

  /// The key the editor keeps a node's name under; no type reads it.
  static let editorKeys: Set<String> = ["label"]

  private static func unknownKeys(_ node: Node) -> [ValidationProblem] {
    guard let type = NodeRegistry.types[node.type], let data = node.data else { return [] }
    return data.keys.sorted().compactMap { key in
      guard !type.knownKeys.contains(key), !editorKeys.contains(key) else { return nil }
      var message = "node \(node.id) (\(node.type)) has no field \(key); it is ignored"
      if let meant = type.knownKeys.first(where: { squashed($0) == squashed(key) }) {
        message += " (did you mean \(meant)?)"
      }
      return ValidationProblem(field: "nodes[\(node.id)].data.\(key)", message: message)
    }
  }

  /// A key without case or underscores: `textOp` and `text_op` meet.
  private static func squashed(_ key: String) -> String {
    key.lowercased().filter { $0 != "_" && $0 != "-" }
  }

  /// The duration fields of each type.
  static let durationFields: [String: [String]] = [
    "delay": ["duration"], "timeout": ["timeout"], "cache": ["ttl"],
    "retry": ["initial_delay", "max_delay"],
  ]

  private static func durations(_ node: Node) -> [ValidationProblem] {
    guard let keys = durationFields[node.type], let data = node.data else { return [] }
    return keys.compactMap { key in
      let text: String
      switch data[key] {
      case .string(let given)?: text = given
      case .number(let given)? where node.type == "delay":
        text = String(Int64(exactly: given) ?? -1)
      default: return nil
      }
      guard GoDuration.parseOrMilliseconds(text) == nil else { return nil }
      return ValidationProblem(
        field: "nodes[\(node.id)].data.\(key)",
        message:
          "node \(node.id) (\(node.type)): \(key) \"\(text.prefix(40))\" is not a duration (use forms like 500ms, 5s, 1m30s)"
      )
    }
  }

  /// The expression texts of a node: its `expression` and `condition`, and its switch cases'
  /// `when`.
  private static func expressionTexts(_ node: Node) -> [String] {
    guard let data = node.data else { return [] }
    var texts: [String] = []
    for key in ["expression", "condition"] {
      if case .string(let text)? = data[key] { texts.append(text) }
    }
    if case .array(let cases)? = data["cases"] {
      for entry in cases { if case .string(let text)? = entry["when"] { texts.append(text) } }
    }
    return texts
  }

  /// The ids after `node.` in `text` (ids may contain `-`, as the expression language reads them).
  static func referencedNodes(_ text: String) -> [String] {
    let bytes = Array(text.utf8)
    let pattern = Array("node.".utf8)
    var ids: [String] = []
    var index = 0
    while index + pattern.count <= bytes.count {
      let startsName =
        index == 0 || !(isNameByte(bytes[index - 1]) || bytes[index - 1] == UInt8(ascii: "."))
      guard startsName, bytes[index ..< index + pattern.count].elementsEqual(pattern) else {
        index += 1
        continue
      }
      var end = index + pattern.count
      while end < bytes.count, isNameByte(bytes[end]) || bytes[end] == UInt8(ascii: "-") {
        end += 1
      }
      if end > index + pattern.count {
        ids.append(String(decoding: bytes[index + pattern.count ..< end], as: UTF8.self))
      }
      index = end
    }
    return ids
  }

  private static func isNameByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
      || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
  }

  /// How many node and edge visits the reference check may make. It takes one pass over the
  /// graph for each 64 nodes that expressions name, so a hostile workflow naming thousands of
  /// nodes cannot make validation quadratic; past the budget the references left are counted as
  /// not checked, in one warning.
  static let referenceCheckBudget = 5_000_000

  private static func references(_ workflow: Workflow, _ plan: ExecutionPlan) -> [ValidationProblem]
  {
    // Every (naming node, named id) pair, in node order and then id order.
    var pairs: [(node: Int, id: String)] = []
    for (position, node) in workflow.nodes.enumerated() {
      for id in Set(expressionTexts(node).flatMap(referencedNodes)).sorted() {
        pairs.append((position, id))
      }
    }
    guard !pairs.isEmpty else { return [] }
    let upstream = upstreamPairs(
      pairs.compactMap { pair in plan.index[pair.id].map { (pair.node, $0) } },
      plan
    )
    var warnings: [ValidationProblem] = []
    var unchecked = 0
    for (node, id) in pairs {
      let name = workflow.nodes[node].id
      let message: String
      if let target = plan.index[id] {
        switch upstream[Pair(node: node, target: target)] {
        case true?: continue
        case nil:
          unchecked += 1
          continue
        case false?:
          message =
            "node \(name) refers to node.\(id), which does not run before it (no path of edges leads from \(id) to \(name))"
        }
      } else {
        message = "node \(name) refers to node.\(id), which does not exist"
      }
      warnings.append(ValidationProblem(field: "nodes[\(name)].data", message: message))
    }
    if unchecked > 0 {
      warnings.append(
        ValidationProblem(
          field: "workflow",
          message:
            "\(unchecked) references to other nodes were not checked: the workflow names too many nodes to check them all"
        )
      )
    }
    return warnings
  }

  private struct Pair: Hashable {
    let node: Int
    let target: Int
  }

  /// For each (node, target) pair, whether a path of edges leads from the target to the node;
  /// pairs past ``referenceCheckBudget`` are left out. Targets are taken 64 at a time, one bit
  /// each: one pass in run order gives every node the bits of the targets upstream of it.
  private static func upstreamPairs(_ pairs: [(Int, Int)], _ plan: ExecutionPlan) -> [Pair: Bool] {
    let targets = Array(Set(pairs.map(\.1))).sorted()
    let passCost = plan.incoming.count + plan.edgeSource.count
    let affordablePasses = max(1, referenceCheckBudget / max(1, passCost))
    var result: [Pair: Bool] = [:]
    for start in stride(from: 0, to: targets.count, by: 64).prefix(affordablePasses) {
      let chunk = targets[start ..< min(start + 64, targets.count)]
      var bit = [UInt64](repeating: 0, count: plan.incoming.count)
      for (offset, target) in chunk.enumerated() { bit[target] = 1 << UInt64(offset) }
      var upstream = [UInt64](repeating: 0, count: plan.incoming.count)
      for node in plan.order {
        for edge in plan.incoming[node] {
          let source = plan.edgeSource[edge]
          guard source >= 0 else { continue }
          upstream[node] |= upstream[source] | bit[source]
        }
      }
      for (node, target) in pairs where bit[target] != 0 {
        result[Pair(node: node, target: target)] = upstream[node] & bit[target] != 0
      }
    }
    return result
  }

  /// Types whose result is never an object, so no handle on an edge from them ever matches.
  static let constantTypes: Set<String> = [
    "number", "text_input", "boolean_input", "date_input", "datetime_input",
  ]

  /// The handles an edge from `node` can be followed on; `nil` when any might be.
  private static func handles(of node: Node) -> Set<String>? {
    switch node.type {
    case "condition":
      return ["true", "false"]
    case "switch":
      guard case .array(let cases)? = node.data?["cases"] else { return [] }
      return Set(
        cases.map { entry in
          if case .string(let path)? = entry["output_path"], !path.isEmpty { return path }
          return "default"
        }
      )
    case _ where constantTypes.contains(node.type):
      return []
    default:
      return nil
    }
  }

  private static func neverRun(_ workflow: Workflow, _ plan: ExecutionPlan) -> [ValidationProblem] {
    var warnings: [ValidationProblem] = []
    var blocked = [Bool](repeating: false, count: workflow.nodes.count)
    for (e, edge) in workflow.edges.enumerated() {
      guard let handle = edge.handle, plan.edgeSource[e] >= 0 else { continue }
      let source = workflow.nodes[plan.edgeSource[e]]
      if handle.isEmpty {
        warnings.append(
          ValidationProblem(
            field: "edges[\(e)]",
            message:
              "edge \(edge.source) → \(edge.target) has an empty sourceHandle, which is never followed"
          )
        )
      } else if let possible = handles(of: source), !possible.contains(handle) {
        let offered = possible.isEmpty ? "none" : possible.sorted().joined(separator: ", ")
        warnings.append(
          ValidationProblem(
            field: "edges[\(e)]",
            message:
              "edge \(edge.source) → \(edge.target) has sourceHandle \"\(handle.prefix(40))\", which \(source.type) \(source.id) never takes (it takes: \(offered))"
          )
        )
      }
    }
    // In run order, sources come first: a node can never run when it has incoming edges and
    // none of them can be followed.
    for index in plan.order where !plan.incoming[index].isEmpty {
      let followable = plan.incoming[index].contains { e in
        let source = plan.edgeSource[e]
        guard source >= 0, !blocked[source] else { return false }
        guard let handle = workflow.edges[e].handle else { return true }
        guard !handle.isEmpty else { return false }
        return handles(of: workflow.nodes[source])?.contains(handle) ?? true
      }
      guard !followable else { continue }
      blocked[index] = true
      let node = workflow.nodes[index]
      warnings.append(
        ValidationProblem(
          field: "nodes[\(node.id)]",
          message: "node \(node.id) can never run: no edge into it can be followed"
        )
      )
    }
    return warnings
  }
}
