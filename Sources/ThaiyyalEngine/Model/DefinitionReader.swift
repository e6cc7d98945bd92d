/// The members of one node or edge object that the decoder reads, each as its JSON value, inline
/// (no allocation per node or edge); by position in ``nodeMembers`` or ``edgeMembers``.
struct Members {
  static let nodeMembers = ["id", "type", "data"]
  static let edgeMembers = ["source", "target", "sourceHandle", "condition", "id"]

  private var values: (JSONValue?, JSONValue?, JSONValue?, JSONValue?, JSONValue?)

  init() { values = (nil, nil, nil, nil, nil) }

  /// The members of a parsed element; `nil` when it is not an object.
  init?(of value: JSONValue, _ names: [String]) {
    guard case .object(let fields) = value else { return nil }
    self.init()
    for (key, value) in fields {
      if let position = names.firstIndex(of: key) { self[position] = value }
    }
  }

  /// The member at `position`, moved out (the slot is left empty): no copy to release later.
  mutating func take(_ position: Int) -> JSONValue? {
    switch position {
    case 0: values.0.take()
    case 1: values.1.take()
    case 2: values.2.take()
    case 3: values.3.take()
    default: values.4.take()
    }
  }

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

/// Reads a definition's JSON text straight into a ``WorkflowAssembly``: the workflow, `nodes`,
/// `edges` and each node and edge object are read member by member, each node and edge handed
/// over as it is read, and a JSON value is built only for the members the decoder reads (a
/// node's `data`, say). It accepts and refuses exactly the texts ``JSONParser`` does, with the
/// same errors: only what is built differs.
struct DefinitionReader {
  private static let topKeys = ["nodes", "edges", "workflow_id"].map { Array($0.utf8) }
  private static let nodeKeys = Members.nodeMembers.map { Array($0.utf8) }
  private static let edgeKeys = Members.edgeMembers.map { Array($0.utf8) }

  private var cursor: JSONParser.Cursor

  init(_ text: String, maxDepth: Int) {
    cursor = JSONParser.Cursor(parser: JSONParser(maxDepth: maxDepth), text: text)
  }

  /// Reads the definition into `assembly`; false when the text holds a JSON value that is not
  /// an object.
  mutating func read(into assembly: inout WorkflowAssembly) throws(JSONParser.Failure) -> Bool {
    guard cursor.peek() == UInt8(ascii: "{") else {
      _ = try cursor.value(depth: 0)
      try cursor.end()
      return false
    }
    try cursor.open(depth: 0)
    if !cursor.take(UInt8(ascii: "}")) {
      repeat {
        switch try cursor.key(among: Self.topKeys) {
        case 0: try elements(.nodes, into: &assembly)
        case 1: try elements(.edges, into: &assembly)
        case 2: assembly.workflowID = try cursor.value(depth: 1)
        default: _ = try cursor.value(depth: 1)
        }
      } while try cursor.separator(closing: UInt8(ascii: "}"), in: "an object")
    }
    try cursor.end()
    return true
  }

  /// The value of `nodes` or `edges`, at nesting 1.
  private mutating func elements(
    _ kind: WorkflowAssembly.Elements,
    into assembly: inout WorkflowAssembly
  ) throws(JSONParser.Failure) {
    assembly.begin(kind)
    guard cursor.peek() == UInt8(ascii: "[") else {
      if try cursor.value(depth: 1) != .null { assembly.notArray(kind) }
      return
    }
    try cursor.open(depth: 1)
    if cursor.take(UInt8(ascii: "]")) { return }
    let names = kind == .nodes ? Self.nodeKeys : Self.edgeKeys
    repeat {
      assembly.add(try members(names), to: kind)
    } while try cursor.separator(closing: UInt8(ascii: "]"), in: "an array")
  }

  /// One node or edge, at nesting 2; `nil` when it is not an object.
  private mutating func members(_ names: [[UInt8]]) throws(JSONParser.Failure) -> Members? {
    guard cursor.peek() == UInt8(ascii: "{") else {
      _ = try cursor.value(depth: 2)
      return nil
    }
    try cursor.open(depth: 2)
    var members = Members()
    if cursor.take(UInt8(ascii: "}")) { return members }
    repeat {
      let position = try cursor.key(among: names)
      let value = try cursor.value(depth: 3)
      if let position { members[position] = value }
    } while try cursor.separator(closing: UInt8(ascii: "}"), in: "an object")
    return members
  }
}
