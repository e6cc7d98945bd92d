/// The protection limits of one run (ENGINE.md section 8). The server sets them from the tenant's
/// plan; the defaults are the original engine's server defaults.
public struct EngineLimits: Sendable, Hashable {
  public var maxNodes = 1000
  public var maxEdges = 10_000
  /// Bytes of the definition's JSON text.
  public var maxPayloadBytes = 1 << 20
  /// Nesting depth of the definition's JSON.
  public var maxPayloadDepth = 64
  /// Node runs per execution (nodes run once each today; loops will count more).
  public var maxNodeExecutions = 10_000
  /// Values a variable node may store (ENGINE.md section 8).
  public var maxStringBytes = 1 << 20
  public var maxArrayLength = 10_000
  public var maxValueDepth = 32
  public var maxVariables = 1000
  /// The longest a delay node really sleeps; longer delays are cut to it (the run still reports
  /// the duration as given).
  public var maxDelay: Duration = .seconds(1)
  /// Wall-clock limit of a run.
  public var maxExecutionTime: Duration = .seconds(60)
  /// The largest value a node or an expression may build: a string's bytes, or a container's
  /// estimated JSON size (``RunBudget``).
  public var maxValueBytes = 16 << 20
  /// The bytes of all values one run may build, added up: the run's memory budget.
  public var maxRunBytes = 256 << 20

  public init() {}
}
