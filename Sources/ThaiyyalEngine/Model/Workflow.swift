/// A Thaiyyal workflow definition (ENGINE.md section 1), decoded and type-inferred.
public struct Workflow: Sendable, Hashable {
  public var workflowID: String?
  public var nodes: [Node] { didSet { plan = nil } }
  public var edges: [Edge] { didSet { plan = nil } }
  /// How to run it, worked out once by ``WorkflowDecoder``; `nil` after a change, when a run
  /// works it out itself.
  var plan: ExecutionPlan?

  public init(workflowID: String? = nil, nodes: [Node], edges: [Edge]) {
    self.workflowID = workflowID
    self.nodes = nodes
    self.edges = edges
  }

  /// Equal when the definitions are: the plan is derived from them.
  public static func == (a: Workflow, b: Workflow) -> Bool {
    a.workflowID == b.workflowID && a.nodes == b.nodes && a.edges == b.edges
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(workflowID)
    hasher.combine(nodes)
    hasher.combine(edges)
  }
}

/// One node: its id, its type (given or inferred from its data keys), and its data object.
public struct Node: Sendable, Hashable {
  public var id: String
  /// The type as given, or inferred; empty when neither.
  public var type: String
  /// The `data` object; `nil` when the node has none.
  public var data: [String: JSONValue]?

  public init(id: String, type: String, data: [String: JSONValue]?) {
    self.id = id
    self.type = type
    self.data = data
  }
}

/// A directed edge; `handle` is `sourceHandle`, or the deprecated `condition` when absent.
public struct Edge: Sendable, Hashable {
  public var id: String?
  public var source: String
  public var target: String
  /// `nil` means unconditional. An empty string is a condition that never matches.
  public var handle: String?

  public init(id: String? = nil, source: String, target: String, handle: String? = nil) {
    self.id = id
    self.source = source
    self.target = target
    self.handle = handle
  }
}

/// One problem found before running, naming the node or edge it concerns.
public struct ValidationProblem: Sendable, Hashable, CustomStringConvertible {
  /// A path to what is wrong: `nodes[3]`, `nodes[n1].data.value`, `edges[2]`, `workflow`.
  public var field: String
  public var message: String

  public init(field: String, message: String) {
    self.field = field
    self.message = message
  }

  public var description: String { "\(field): \(message)" }
}

/// Every problem of a definition, found at once.
public struct ValidationFailure: Error, Sendable, Hashable, CustomStringConvertible {
  public var problems: [ValidationProblem]

  public init(problems: [ValidationProblem]) {
    self.problems = problems
  }

  /// The first problem, in the original engine's wording where it has one.
  public var description: String {
    problems.map(\.message).joined(separator: "; ")
  }
}
