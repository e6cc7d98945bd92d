/// Turns a definition's JSON text into a ``Workflow``, checking everything that can be checked
/// before a node runs, and reporting every problem at once with the node or edge it concerns.
///
/// Load-time rules follow the original engine (ENGINE.md sections 1 and 3): type inference from
/// data keys, required fields and their JSON kinds per type. Beyond it, as our contract promises:
/// unknown types, duplicate ids, edges to or from missing nodes and cycles (named) are all refused
/// up front, and the limits on size are enforced.
public struct WorkflowDecoder {
  public var limits: EngineLimits

  public init(limits: EngineLimits = EngineLimits()) {
    self.limits = limits
  }

  /// - Throws: ``ValidationFailure`` listing every problem.
  public func decode(_ text: String) throws(ValidationFailure) -> Workflow {
    let size = text.utf8.count
    guard size <= limits.maxPayloadBytes else {
      throw ValidationFailure(problems: [
        ValidationProblem(
          field: "workflow",
          message:
            "definition of \(size) bytes exceeds the limit of \(limits.maxPayloadBytes) bytes"
        )
      ])
    }
    let parts: DefinitionParts?
    do {
      var reader = DefinitionReader(text, maxDepth: limits.maxPayloadDepth)
      parts = try reader.read()
    } catch {
      throw ValidationFailure(problems: [ValidationProblem(field: "workflow", message: "\(error)")])
    }
    return try decode(parts)
  }

  /// - Throws: ``ValidationFailure`` listing every problem.
  public func decode(_ root: JSONValue) throws(ValidationFailure) -> Workflow {
    try decode(DefinitionParts(root))
  }

  /// `parts` is `nil` for a definition that is not an object.
  private func decode(_ parts: DefinitionParts?) throws(ValidationFailure) -> Workflow {
    var problems: [ValidationProblem] = []
    guard let parts else {
      throw ValidationFailure(problems: [
        ValidationProblem(field: "workflow", message: "a workflow must be a JSON object")
      ])
    }
    var workflow = Workflow(workflowID: parts.workflowID?.stringValue, nodes: [], edges: [])

    let rawNodes: [DefinitionParts.Members]
    switch parts.nodes {
    case .none: rawNodes = []
    case .array(let items): rawNodes = items
    case .notArray:
      rawNodes = []
      problems.append(ValidationProblem(field: "nodes", message: "nodes must be an array"))
    }
    workflow.nodes.reserveCapacity(rawNodes.count)
    for (index, raw) in rawNodes.enumerated() {
      if let node = decodeNode(raw, index: index, &problems) { workflow.nodes.append(node) }
    }

    let rawEdges: [DefinitionParts.Members]
    switch parts.edges {
    case .none: rawEdges = []
    case .array(let items): rawEdges = items
    case .notArray:
      rawEdges = []
      problems.append(ValidationProblem(field: "edges", message: "edges must be an array"))
    }
    workflow.edges.reserveCapacity(rawEdges.count)
    for (index, raw) in rawEdges.enumerated() {
      if let edge = decodeEdge(raw, index: index, &problems) { workflow.edges.append(edge) }
    }

    if workflow.nodes.count > limits.maxNodes {
      problems.append(
        ValidationProblem(
          field: "nodes",
          message: "\(workflow.nodes.count) nodes exceed the limit of \(limits.maxNodes)"
        )
      )
    }
    if workflow.edges.count > limits.maxEdges {
      problems.append(
        ValidationProblem(
          field: "edges",
          message: "\(workflow.edges.count) edges exceed the limit of \(limits.maxEdges)"
        )
      )
    }
    let resolution = GraphCheck.resolve(workflow)
    problems += resolution.problems
    guard problems.isEmpty else { throw ValidationFailure(problems: problems) }
    workflow.plan = ExecutionPlan(workflow, resolution)
    return workflow
  }

  private func decodeNode(
    _ raw: DefinitionParts.Members,
    index: Int,
    _ problems: inout [ValidationProblem]
  ) -> Node? {
    guard let raw else {
      problems.append(
        ValidationProblem(field: "nodes[\(index)]", message: "a node must be a JSON object")
      )
      return nil
    }
    let (idValue, typeValue, dataValue) = (raw[0], raw[1], raw[2])
    guard case .string(let id)? = idValue, !id.isEmpty else {
      problems.append(
        ValidationProblem(
          field: "nodes[\(index)].id",
          message: "a node needs a non-empty string id"
        )
      )
      return nil
    }
    var type = ""
    switch typeValue {
    case nil, .null?: break
    case .string(let given)?: type = given
    default:
      problems.append(
        ValidationProblem(field: "nodes[\(id)].type", message: "type must be a string")
      )
    }
    var data: [String: JSONValue]?
    switch dataValue {
    case nil, .null?: data = nil
    case .object(let object)?: data = object
    default:
      problems.append(
        ValidationProblem(field: "nodes[\(id)].data", message: "data must be a JSON object")
      )
    }
    if type.isEmpty, let data { type = NodeTypes.infer(from: data) }
    let node = Node(id: id, type: type, data: data)

    guard !type.isEmpty else {
      problems.append(
        ValidationProblem(
          field: "nodes[\(id)].type",
          message: "node \(id) has no type and none can be inferred from its data"
        )
      )
      return node
    }
    guard let nodeType = NodeRegistry.types[type] else {
      problems.append(
        ValidationProblem(
          field: "nodes[\(id)].type",
          message: "no executor registered for type: \(type)"
        )
      )
      return node
    }
    if let refusal = nodeType.refusal {
      problems.append(ValidationProblem(field: "nodes[\(id)].type", message: refusal))
    }
    guard let data else { return node }
    let prefix = "failed to parse payload: failed to unmarshal data for node \(id) (type \(type)): "
    for (key, kind) in nodeType.fields {
      if let value = data[key], !kind.accepts(value) {
        problems.append(
          ValidationProblem(
            field: "nodes[\(id)].data.\(key)",
            message: prefix
              + "json: cannot unmarshal \(value.goTypeName) into field \(key) of type \(kind.goName)"
          )
        )
      }
    }
    if let missing = nodeType.requires?.unmet(in: data) {
      problems.append(
        ValidationProblem(
          field: "nodes[\(id)].data",
          message: prefix + "missing required field: \(missing)"
        )
      )
    }
    if type == "switch", case .array(let cases)? = data["cases"], !cases.isEmpty {
      problems += SwitchRules.problems(cases, nodeID: id)
    }
    return node
  }

  private func decodeEdge(
    _ raw: DefinitionParts.Members,
    index: Int,
    _ problems: inout [ValidationProblem]
  ) -> Edge? {
    guard let raw else {
      problems.append(
        ValidationProblem(field: "edges[\(index)]", message: "an edge must be a JSON object")
      )
      return nil
    }
    let (sourceValue, targetValue) = (raw[0], raw[1])
    let (handleValue, conditionValue, idValue) = (raw[2], raw[3], raw[4])
    guard case .string(let source)? = sourceValue, case .string(let target)? = targetValue else {
      problems.append(
        ValidationProblem(
          field: "edges[\(index)]",
          message: "an edge needs string source and target node ids"
        )
      )
      return nil
    }
    var handle: String?
    if case .string(let value)? = handleValue {
      handle = value
    } else if handleValue == nil || handleValue == .null, case .string(let value)? = conditionValue
    {
      handle = value
    }
    return Edge(id: idValue?.stringValue, source: source, target: target, handle: handle)
  }
}

/// The switch node's load-time rules: exactly one default case, last; every other case names its
/// `output_path`.
enum SwitchRules {
  static func problems(_ cases: [JSONValue], nodeID: String) -> [ValidationProblem] {
    var problems: [ValidationProblem] = []
    let field = "nodes[\(nodeID)].data.cases"
    let defaults = cases.indices.filter { cases[$0]["is_default"] == .bool(true) }
    if defaults.count != 1 {
      problems.append(
        ValidationProblem(
          field: field,
          message: "switch node must have exactly one default case (found \(defaults.count))"
        )
      )
    } else if defaults[0] != cases.count - 1 {
      problems.append(
        ValidationProblem(
          field: field,
          message:
            "default case must be the last case in the array (found at index \(defaults[0]), but last index is \(cases.count - 1))"
        )
      )
    }
    for (index, entry) in cases.enumerated() where entry["is_default"] != .bool(true) {
      if case .string(let path)? = entry["output_path"], !path.isEmpty { continue }
      problems.append(
        ValidationProblem(field: field, message: "case at index \(index) must have output_path")
      )
    }
    return problems
  }
}
