/// A definition taken apart: the members of its nodes and edges that the decoder reads, each as
/// its JSON value. Made from the text by ``DefinitionReader`` without building the envelope
/// objects, or from an already parsed value; decoded the same way either way.
struct DefinitionParts {
  /// The members of one node or edge object, by position in ``nodeMembers`` or
  /// ``edgeMembers``; `nil` when the element is not an object.
  typealias Members = Slots?

  /// Up to five member values, inline (no allocation per node or edge).
  struct Slots {
    private var values: (JSONValue?, JSONValue?, JSONValue?, JSONValue?, JSONValue?)

    init() { values = (nil, nil, nil, nil, nil) }

    subscript(position: Int) -> JSONValue? {
      get {
        switch position {
        case 0: values.0
        case 1: values.1
        case 2: values.2
        case 3: values.3
        default: values.4
        }
      }
      set {
        switch position {
        case 0: values.0 = newValue
        case 1: values.1 = newValue
        case 2: values.2 = newValue
        case 3: values.3 = newValue
        default: values.4 = newValue
        }
      }
    }
  }

  /// How `nodes` or `edges` was given.
  enum Elements {
    /// Absent or null: none.
    case none
    case array([Members])
    /// Something other than an array.
    case notArray
  }

  static let nodeMembers = ["id", "type", "data"]
  static let edgeMembers = ["source", "target", "sourceHandle", "condition", "id"]

  var workflowID: JSONValue?
  var nodes = Elements.none
  var edges = Elements.none

  init() {}

  /// The parts of a parsed definition; `nil` when it is not an object.
  init?(_ root: JSONValue) {
    guard case .object(let fields) = root else { return nil }
    workflowID = fields["workflow_id"]
    nodes = Self.elements(fields["nodes"], Self.nodeMembers)
    edges = Self.elements(fields["edges"], Self.edgeMembers)
  }

  private static func elements(_ value: JSONValue?, _ names: [String]) -> Elements {
    switch value {
    case nil, .null?: .none
    case .array(let items)?: .array(items.map { members(of: $0, names) })
    default: .notArray
    }
  }

  private static func members(of value: JSONValue, _ names: [String]) -> Members {
    guard case .object(let fields) = value else { return nil }
    var members = Slots()
    for (key, value) in fields {
      if let position = names.firstIndex(of: key) { members[position] = value }
    }
    return members
  }
}

/// Reads a definition's JSON text straight into ``DefinitionParts``: the workflow, `nodes`,
/// `edges` and each node and edge object are read member by member, and a JSON value is built
/// only for the members the decoder reads (a node's `data`, say); everything else is read and
/// dropped. It accepts and refuses exactly the texts ``JSONParser`` does, with the same errors:
/// only what is built differs.
struct DefinitionReader {
  private var cursor: JSONParser.Cursor

  init(_ text: String, maxDepth: Int) {
    cursor = JSONParser.Cursor(parser: JSONParser(maxDepth: maxDepth), text: text)
  }

  /// The parts, or `nil` when the text holds a JSON value that is not an object.
  mutating func read() throws(JSONParser.Failure) -> DefinitionParts? {
    guard cursor.peek() == UInt8(ascii: "{") else {
      _ = try cursor.value(depth: 0)
      try cursor.end()
      return nil
    }
    try cursor.open(depth: 0)
    var parts = DefinitionParts()
    if !cursor.take(UInt8(ascii: "}")) {
      repeat {
        switch try cursor.key() {
        case "nodes": parts.nodes = try elements(DefinitionParts.nodeMembers)
        case "edges": parts.edges = try elements(DefinitionParts.edgeMembers)
        case "workflow_id": parts.workflowID = try cursor.value(depth: 1)
        default: _ = try cursor.value(depth: 1)
        }
      } while try cursor.separator(closing: UInt8(ascii: "}"), in: "an object")
    }
    try cursor.end()
    return parts
  }

  /// The value of `nodes` or `edges`, at nesting 1.
  private mutating func elements(
    _ names: [String]
  ) throws(JSONParser.Failure)
    -> DefinitionParts.Elements
  {
    guard cursor.peek() == UInt8(ascii: "[") else {
      return try cursor.value(depth: 1) == .null ? .none : .notArray
    }
    try cursor.open(depth: 1)
    var items: [DefinitionParts.Members] = []
    if cursor.take(UInt8(ascii: "]")) { return .array(items) }
    repeat {
      items.append(try members(names))
    } while try cursor.separator(closing: UInt8(ascii: "]"), in: "an array")
    return .array(items)
  }

  /// One node or edge, at nesting 2.
  private mutating func members(
    _ names: [String]
  ) throws(JSONParser.Failure)
    -> DefinitionParts.Members
  {
    guard cursor.peek() == UInt8(ascii: "{") else {
      _ = try cursor.value(depth: 2)
      return nil
    }
    try cursor.open(depth: 2)
    var members = DefinitionParts.Slots()
    if cursor.take(UInt8(ascii: "}")) { return members }
    repeat {
      let key = try cursor.key()
      let value = try cursor.value(depth: 3)
      if let position = names.firstIndex(of: key) { members[position] = value }
    } while try cursor.separator(closing: UInt8(ascii: "}"), in: "an object")
    return members
  }
}
