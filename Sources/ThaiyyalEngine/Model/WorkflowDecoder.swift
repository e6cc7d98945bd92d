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
    var assembly = WorkflowAssembly()
    let isObject: Bool
    do {
      var reader = DefinitionReader(text, maxDepth: limits.maxPayloadDepth)
      isObject = try reader.read(into: &assembly)
    } catch {
      throw ValidationFailure(problems: [ValidationProblem(field: "workflow", message: "\(error)")])
    }
    guard isObject else { throw Self.notAnObject }
    return try finish(assembly)
  }

  /// - Throws: ``ValidationFailure`` listing every problem.
  public func decode(_ root: JSONValue) throws(ValidationFailure) -> Workflow {
    guard case .object(let fields) = root else { throw Self.notAnObject }
    var assembly = WorkflowAssembly()
    assembly.workflowID = fields["workflow_id"]
    for (kind, key, names) in [
      (WorkflowAssembly.Elements.nodes, "nodes", Members.nodeMembers),
      (.edges, "edges", Members.edgeMembers),
    ] {
      assembly.begin(kind)
      switch fields[key] {
      case nil, .null?: break
      case .array(let items)?:
        for item in items { assembly.add(Members(of: item, names), to: kind) }
      default: assembly.notArray(kind)
      }
    }
    return try finish(assembly)
  }

  private static let notAnObject = ValidationFailure(problems: [
    ValidationProblem(field: "workflow", message: "a workflow must be a JSON object")
  ])

  /// The workflow with its plan, once the whole graph is known: sizes, ids, edges, cycles.
  private func finish(_ assembly: WorkflowAssembly) throws(ValidationFailure) -> Workflow {
    var workflow = Workflow(
      workflowID: assembly.workflowID?.stringValue,
      nodes: assembly.nodes,
      edges: assembly.edges
    )
    var problems = assembly.nodeProblems + assembly.edgeProblems
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
    if resolution.problems.isEmpty {
      let plan = ExecutionPlan(workflow, resolution, types: assembly.types)
      if !plan.isComplete, let cycle = GraphCheck.cycleProblem(workflow, resolution) {
        problems.append(cycle)
      }
      workflow.plan = plan
    }
    guard problems.isEmpty else { throw ValidationFailure(problems: problems) }
    return workflow
  }
}

/// A workflow being put together from its definition, node by node and edge by edge as they are
/// read, with the problems of each (load-time rules of ENGINE.md sections 1 and 3). When `nodes`
/// or `edges` is given twice, the last one counts, as with Go's decoder.
struct WorkflowAssembly {
  enum Elements { case nodes, edges }

  var workflowID: JSONValue?
  private(set) var nodes: [Node] = []
  /// Each node's type; `nil` when it has none or an unknown one.
  private(set) var types: [NodeType?] = []
  private(set) var edges: [Edge] = []
  private(set) var nodeProblems: [ValidationProblem] = []
  private(set) var edgeProblems: [ValidationProblem] = []
  /// How many elements of `nodes` and `edges` were given, objects or not.
  private var nodeElements = 0
  private var edgeElements = 0

  /// `nodes` or `edges` begins: whatever an earlier one held is dropped.
  mutating func begin(_ kind: Elements) {
    switch kind {
    case .nodes:
      (nodes, types, nodeProblems, nodeElements) = ([], [], [], 0)
    case .edges:
      (edges, edgeProblems, edgeElements) = ([], [], 0)
    }
  }

  mutating func notArray(_ kind: Elements) {
    switch kind {
    case .nodes:
      nodeProblems.append(ValidationProblem(field: "nodes", message: "nodes must be an array"))
    case .edges:
      edgeProblems.append(ValidationProblem(field: "edges", message: "edges must be an array"))
    }
  }

  /// One element of `nodes` or `edges`: its members, or `nil` when it is not an object.
  mutating func add(_ members: consuming Members?, to kind: Elements) {
    switch kind {
    case .nodes:
      if let (node, type) = decodeNode(members, index: nodeElements) {
        nodes.append(node)
        types.append(type)
      }
      nodeElements += 1
    case .edges:
      if let edge = decodeEdge(members, index: edgeElements) { edges.append(edge) }
      edgeElements += 1
    }
  }

  /// The node and its type (`nil` when unknown), or `nil` when it cannot be a node at all.
  private mutating func decodeNode(_ raw: consuming Members?, index: Int) -> (Node, NodeType?)? {
    guard var raw else {
      nodeProblems.append(
        ValidationProblem(field: "nodes[\(index)]", message: "a node must be a JSON object")
      )
      return nil
    }
    let (idValue, typeValue, dataValue) = (raw.take(0), raw.take(1), raw.take(2))
    guard case .string(let id)? = idValue, !id.isEmpty else {
      nodeProblems.append(
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
      nodeProblems.append(
        ValidationProblem(field: "nodes[\(id)].type", message: "type must be a string")
      )
    }
    var data: [String: JSONValue]?
    switch dataValue {
    case nil, .null?: data = nil
    case .object(let object)?: data = object
    default:
      nodeProblems.append(
        ValidationProblem(field: "nodes[\(id)].data", message: "data must be a JSON object")
      )
    }
    if type.isEmpty, let data { type = NodeTypes.infer(from: data) }
    let node = Node(id: id, type: type, data: data)

    guard !type.isEmpty else {
      nodeProblems.append(
        ValidationProblem(
          field: "nodes[\(id)].type",
          message: "node \(id) has no type and none can be inferred from its data"
        )
      )
      return (node, nil)
    }
    guard let nodeType = NodeRegistry.types[type] else {
      nodeProblems.append(
        ValidationProblem(
          field: "nodes[\(id)].type",
          message: "no executor registered for type: \(type)"
        )
      )
      return (node, nil)
    }
    if let refusal = nodeType.refusal {
      nodeProblems.append(ValidationProblem(field: "nodes[\(id)].type", message: refusal))
    }
    guard let data else { return (node, nodeType) }
    var prefix: String {
      "failed to parse payload: failed to unmarshal data for node \(id) (type \(type)): "
    }
    // A node's data has a few keys and its type a few typed fields: walking both compares short
    // strings, where looking each field up would hash it.
    for (key, value) in data {
      guard let kind = nodeType.typedFields.first(where: { $0.key == key })?.kind,
        !kind.accepts(value)
      else { continue }
      nodeProblems.append(
        ValidationProblem(
          field: "nodes[\(id)].data.\(key)",
          message: prefix
            + "json: cannot unmarshal \(value.goTypeName) into field \(key) of type \(kind.goName)"
        )
      )
    }
    if let missing = nodeType.requires?.unmet(in: data) {
      nodeProblems.append(
        ValidationProblem(
          field: "nodes[\(id)].data",
          message: prefix + "missing required field: \(missing)"
        )
      )
    }
    if type == "switch", case .array(let cases)? = data["cases"], !cases.isEmpty {
      nodeProblems += SwitchRules.problems(cases, nodeID: id)
    }
    return (node, nodeType)
  }

  private mutating func decodeEdge(_ raw: consuming Members?, index: Int) -> Edge? {
    guard var raw else {
      edgeProblems.append(
        ValidationProblem(field: "edges[\(index)]", message: "an edge must be a JSON object")
      )
      return nil
    }
    let (sourceValue, targetValue) = (raw.take(0), raw.take(1))
    let (handleValue, conditionValue, idValue) = (raw.take(2), raw.take(3), raw.take(4))
    guard case .string(let source)? = sourceValue, case .string(let target)? = targetValue else {
      edgeProblems.append(
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
