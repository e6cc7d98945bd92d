/// One node type, declared once: its name, the typed data fields it reads (decoding fails on a
/// value of another kind, as Go's unmarshal does), what it requires at load time, whether it
/// changes the run's shared state, and its executor. A class: decoding looks a type up for every
/// node, and a reference is one retain where a copy of the struct was several.
final class NodeType: Sendable {
  let name: String
  let fields: [String: NodeTypes.Kind]
  /// ``fields`` as a list, for the decoder's walk over a node's data.
  let typedFields: [(key: String, kind: NodeTypes.Kind)]
  let requires: Requirement?
  /// Variables, the accumulator, the counter, context or the cache: such a node never runs
  /// alongside another (``BranchSafety``).
  let changesSharedState: Bool
  /// Why a known type is refused at load time, if it is.
  let refusal: String?
  let executor: any NodeExecutor
  /// Every data key the type reads: its typed fields, what it requires, and the keys it reads
  /// without a type check. `validate --strict` warns about any other key (but `label`, the
  /// editor's name for a node).
  let knownKeys: Set<String>

  init(
    name: String,
    fields: [String: NodeTypes.Kind] = [:],
    requires: Requirement? = nil,
    reads: [String] = [],
    changesSharedState: Bool = false,
    refusal: String? = nil,
    executor: any NodeExecutor
  ) {
    self.name = name
    self.fields = fields
    typedFields = fields.map { ($0.key, $0.value) }
    self.requires = requires
    self.changesSharedState = changesSharedState
    self.refusal = refusal
    self.executor = executor
    knownKeys = Set(fields.keys).union(requires?.checks.map(\.key) ?? []).union(reads)
  }
}

/// A load-time requirement on a node's data; ``unmet(in:)`` names what is missing as Go reports it.
///
/// A struct of plain values rather than an enum with payloads: the registry is a global table,
/// and LeakSanitizer cannot follow the pointers a multi-payload enum tags with its case, so the
/// fuzzers would report the table as leaked.
struct Requirement: Sendable {
  /// One key that must hold a value (not null), or a non-empty array.
  struct Check: Sendable {
    let key: String
    let nonEmptyArray: Bool

    func holds(in data: [String: JSONValue]) -> Bool {
      if nonEmptyArray {
        if case .array(let items)? = data.member(key) { return !items.isEmpty }
        return false
      }
      if let value = data.member(key) { return value != .null }
      return false
    }
  }

  let checks: [Check]
  /// Every check must hold; otherwise at least one.
  let needsAll: Bool
  /// What an unmet requirement is reported as; the first failing key when `nil`.
  let reported: String?

  /// Present and not null.
  static func field(_ key: String) -> Requirement {
    Requirement(checks: [Check(key: key, nonEmptyArray: false)], needsAll: true, reported: nil)
  }

  /// A non-empty array.
  static func nonEmptyArray(_ key: String) -> Requirement {
    Requirement(checks: [Check(key: key, nonEmptyArray: true)], needsAll: true, reported: nil)
  }

  /// Every one of single-key requirements, in order: the first unmet one's key, or `reported`.
  static func all(_ parts: [Requirement], reported: String? = nil) -> Requirement {
    Requirement(checks: parts.flatMap(\.checks), needsAll: true, reported: reported)
  }

  /// At least one of single-key requirements; `reported` when none holds.
  static func any(_ parts: [Requirement], reported: String) -> Requirement {
    Requirement(checks: parts.flatMap(\.checks), needsAll: false, reported: reported)
  }

  func unmet(in data: [String: JSONValue]) -> String? {
    if needsAll {
      for check in checks where !check.holds(in: data) { return reported ?? check.key }
      return nil
    }
    return checks.contains { $0.holds(in: data) } ? nil : reported
  }
}

/// Every node type the engine knows (ENGINE.md section 10), in one table: the decoder, the
/// engine and branch concurrency all read it, so a type is added in one place.
enum NodeRegistry {
  static let all: [NodeType] = [
    NodeType(
      name: "number",
      fields: ["value": .number],
      requires: .field("value"),
      executor: ConstantNode(field: "value", dataName: "NumberData")
    ),
    NodeType(
      name: "text_input",
      fields: ["text": .string],
      requires: .field("text"),
      executor: ConstantNode(field: "text", dataName: "TextInputData")
    ),
    NodeType(
      name: "boolean_input",
      fields: ["boolean_value": .bool],
      requires: .field("boolean_value"),
      executor: ConstantNode(field: "boolean_value", dataName: "BooleanInputData")
    ),
    NodeType(
      name: "date_input",
      fields: ["date_value": .string],
      executor: DateInputNode(field: "date_value", missing: "date input node missing date value")
    ),
    NodeType(
      name: "datetime_input",
      fields: ["datetime_value": .string],
      executor: DateInputNode(
        field: "datetime_value",
        missing: "datetime input node missing datetime value"
      )
    ),
    NodeType(
      name: "operation",
      fields: ["op": .string],
      requires: .field("op"),
      executor: OperationNode()
    ),
    NodeType(
      name: "text_operation",
      fields: ["text_op": .string, "separator": .string, "repeat_n": .number],
      requires: .field("text_op"),
      executor: TextOperationNode()
    ),
    NodeType(
      name: "visualization",
      fields: ["mode": .string],
      executor: PassThroughNode(requiresInput: true)
    ),
    NodeType(name: "renderer", executor: PassThroughNode(requiresInput: false)),
    NodeType(
      name: "condition",
      fields: ["condition": .string],
      requires: .field("condition"),
      reads: ["true_path", "false_path"],
      executor: ConditionNode()
    ),
    NodeType(
      name: "switch",
      fields: ["cases": .array],
      requires: .nonEmptyArray("cases"),
      executor: SwitchNode()
    ),
    NodeType(
      name: "expression",
      fields: ["expression": .string],
      requires: .field("expression"),
      executor: ExpressionNode()
    ),
    NodeType(
      name: "variable",
      fields: ["var_name": .string, "var_op": .string],
      requires: .all([.field("var_name"), .field("var_op")]),
      reads: ["scope"],
      changesSharedState: true,
      executor: VariableNode()
    ),
    NodeType(
      name: "extract",
      fields: ["field": .string, "fields": .array],
      requires: .any([.field("field"), .nonEmptyArray("fields")], reported: "field or fields"),
      executor: ExtractNode()
    ),
    NodeType(
      name: "transform",
      fields: ["transform_type": .string],
      requires: .field("transform_type"),
      executor: TransformNode()
    ),
    NodeType(
      name: "accumulator",
      fields: ["accum_op": .string],
      requires: .field("accum_op"),
      reads: ["initial_value"],
      changesSharedState: true,
      executor: AccumulatorNode()
    ),
    NodeType(
      name: "counter",
      fields: ["counter_op": .string, "delta": .number],
      requires: .field("counter_op"),
      reads: ["initial_value"],
      changesSharedState: true,
      executor: CounterNode()
    ),
    NodeType(
      name: "filter",
      fields: ["condition": .string],
      requires: .field("condition"),
      executor: FilterNode()
    ),
    NodeType(
      name: "map",
      fields: ["expression": .string, "field": .string],
      executor: MapNode()
    ),
    NodeType(
      name: "reduce",
      fields: ["expression": .string],
      requires: .field("expression"),
      reads: ["initial_value"],
      executor: ReduceNode()
    ),
    NodeType(
      name: "find",
      fields: ["condition": .string],
      requires: .field("condition"),
      reads: ["return_index"],
      executor: FindNode()
    ),
    NodeType(name: "slice", reads: ["start", "end", "length"], executor: SliceNode()),
    NodeType(name: "sort", reads: ["field", "order"], executor: SortNode()),
    NodeType(name: "unique", reads: ["field"], executor: UniqueNode()),
    NodeType(name: "reverse", executor: ReverseNode()),
    NodeType(name: "compact", reads: ["remove_empty"], executor: CompactNode()),
    NodeType(name: "join", reads: ["join_strategy"], executor: JoinNode()),
    NodeType(
      name: "split",
      fields: ["paths": .array],
      requires: .nonEmptyArray("paths"),
      executor: SplitNode()
    ),
    NodeType(
      name: "range",
      fields: ["start": .number, "end": .number, "step": .number],
      requires: .all([.field("start"), .field("end")], reported: "start and end"),
      executor: RangeNode()
    ),
    NodeType(name: "for_each", fields: ["max_iterations": .number], executor: ForEachNode()),
    NodeType(
      name: "while_loop",
      fields: ["condition": .string, "max_iterations": .number],
      requires: .field("condition"),
      executor: WhileLoopNode()
    ),
    NodeType(name: "parse", reads: ["input_type"], executor: ParseNode()),
    NodeType(
      name: "format",
      fields: ["output_type": .string, "pretty_print": .bool],
      requires: .field("output_type"),
      reads: ["include_headers", "delimiter"],
      executor: FormatNode()
    ),
    NodeType(
      name: "delay",
      requires: .field("duration"),
      reads: ["duration"],
      executor: DelayNode()
    ),
    NodeType(
      name: "cache",
      fields: ["cache_op": .string, "cache_key": .string],
      requires: .all([.field("cache_op"), .field("cache_key")]),
      reads: ["ttl"],
      changesSharedState: true,
      executor: CacheNode()
    ),
    NodeType(
      name: "context_variable",
      fields: ["context_name": .string, "context_values": .array],
      requires: Self.contextValues,
      reads: ["context_value"],
      changesSharedState: true,
      executor: ContextNode(constant: false)
    ),
    NodeType(
      name: "context_constant",
      fields: ["context_name": .string, "context_values": .array],
      requires: Self.contextValues,
      reads: ["context_value"],
      changesSharedState: true,
      executor: ContextNode(constant: true)
    ),
    NodeType(
      name: "retry",
      fields: ["max_attempts": .number, "backoff_strategy": .string],
      reads: ["retry_on_errors", "initial_delay", "max_delay", "multiplier"],
      executor: RetryNode()
    ),
    NodeType(
      name: "try_catch",
      fields: ["continue_on_error": .bool],
      reads: ["fallback_value", "error_output_path"],
      executor: TryCatchNode()
    ),
    NodeType(
      name: "timeout",
      fields: ["timeout": .string, "timeout_action": .string],
      requires: .field("timeout"),
      executor: TimeoutNode()
    ),
    NodeType(
      name: "http",
      fields: ["url": .string],
      requires: .field("url"),
      refusal:
        "HTTP requests are not allowed (AllowHTTP=false): HTTP nodes are disabled on this server",
      executor: UnsupportedNode(type: "http")
    ),
  ]

  private static let contextValues = Requirement.any(
    [.nonEmptyArray("context_values"), .field("context_name")],
    reported: "context_values or context_name"
  )

  /// Every type by name. Decoding looks up every node's type: the names are indexed as node ids
  /// are, which hashes more cheaply than a `Dictionary`.
  static let types = TypeTable(all)

  /// ``all`` by name.
  struct TypeTable: Sendable {
    private let types: [NodeType]
    private let index: NodeIndex

    /// The number of distinct names.
    let count: Int

    init(_ types: [NodeType]) {
      self.types = types
      index = NodeIndex(types.map(\.name))
      count = Set(types.map(\.name)).count
    }

    subscript(name: String) -> NodeType? { index[name].map { types[$0] } }
  }
}

extension [String: JSONValue] {
  /// The value of `key`. A node's data has a few members: comparing their short keys costs less
  /// than hashing `key`.
  func member(_ key: String) -> JSONValue? {
    guard count <= 8 else { return self[key] }
    for (name, value) in self where name == key { return value }
    return nil
  }
}
