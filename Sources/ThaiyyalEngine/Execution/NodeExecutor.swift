import Synchronization

/// What a node's executor sees: its data, the results of its feeding nodes in edge order, and the
/// run's shared state (variables, the accumulator, the counter).
struct NodeInvocation {
  let node: Node
  let inputs: [JSONValue]
  let state: RunState

  var data: [String: JSONValue] { node.data ?? [:] }
  /// `inputs[0]`, the input most nodes use.
  var input: JSONValue? { inputs.first }

  /// ``RunBudget/checkpoint()`` as a node failure: call it in loops over caller-sized data.
  func checkpoint() throws(NodeFailure) {
    do { try state.budget.checkpoint() } catch { throw NodeFailure(error.message) }
  }

  /// ``RunBudget/reserve(bytes:)`` as a node failure: call it before building a large value.
  func reserve(bytes: Int) throws(NodeFailure) {
    do { try state.budget.reserve(bytes: bytes) } catch { throw NodeFailure(error.message) }
  }
}

/// A node failed; the run stops with `error executing node <id>: <message>`.
struct NodeFailure: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// Runs one node type.
protocol NodeExecutor: Sendable {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue
}

/// State one run's nodes share, in the order they run. Confined to its run; never shared between
/// runs.
final class RunState {
  let limits: EngineLimits
  /// Shared by the whole run, concurrent branches included.
  let budget: RunBudget
  var variables: [String: JSONValue] = [:]
  var accumulator: JSONValue?
  var counter: Double = 0
  /// Context values by name (variables win over constants on a clash).
  var contextVariables: [String: JSONValue] = [:]
  var contextConstants: [String: JSONValue] = [:]
  /// Results of the nodes that ran so far, for `node.<id>` in expressions.
  var nodeResults: [String: JSONValue] = [:]
  /// Parsed expressions by text, shared with the workflow's other runs.
  let expressions: ExpressionCache
  /// The per-run cache: value and expiry (nanoseconds of the run's clock).
  var cache: [String: (value: JSONValue, expires: ContinuousClock.Instant)] = [:]

  init(limits: EngineLimits, budget: RunBudget, expressions: ExpressionCache) {
    self.limits = limits
    self.budget = budget
    self.expressions = expressions
  }
}

extension JSONValue {
  /// The error-marker object array nodes return for a non-array input (ENGINE.md section 7).
  static func notAnArray(_ input: JSONValue) -> JSONValue {
    .object([
      "error": "input is not an array", "input": input, "original_type": .string(input.goTypeName),
    ])
  }
}

extension RunState {
  /// The expression for `text`, parsed once per decoded workflow.
  func expression(_ text: String) throws(ExpressionParser.Failure) -> Expression {
    try expressions.expression(text)
  }

  /// A scope with `current` as input/item and `locals` as per-item variables.
  func scope(
    _ current: JSONValue,
    _ locals: KeyValuePairs<String, JSONValue> = [:]
  ) -> EvaluationScope {
    EvaluationScope(
      current: current,
      locals: locals.map { (name: $0.key, value: $0.value) },
      variables: variables,
      context: context,
      nodes: nodeResults,
      budget: budget
    )
  }

  /// Context values, variables winning over constants on a clash.
  var context: [String: JSONValue] {
    if contextConstants.isEmpty { return contextVariables }
    if contextVariables.isEmpty { return contextConstants }
    return contextConstants.merging(contextVariables) { $1 }
  }
}

/// The parsed expressions of one decoded workflow, shared by all its runs and their concurrent
/// branches: each expression text is parsed once, not once per run or per item. Bounded, in case
/// a workflow evaluates texts it builds as it runs; past the bound a text is parsed each time.
final class ExpressionCache: Sendable {
  static let maxEntries = 4096
  private let entries = Mutex<[String: Result<Expression, ExpressionParser.Failure>]>([:])

  init() {}

  func expression(_ text: String) throws(ExpressionParser.Failure) -> Expression {
    if let cached = entries.withLock({ $0[text] }) { return try cached.get() }
    let result = Result { () throws(ExpressionParser.Failure) -> Expression in
      try ExpressionParser().parse(text)
    }
    entries.withLock { entries in
      if entries.count < Self.maxEntries { entries[text] = result }
    }
    return try result.get()
  }

  /// How many texts are cached, for tests.
  var count: Int { entries.withLock { $0.count } }
}
