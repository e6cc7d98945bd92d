/// A tenant's plan; it sets the default limits.
public enum Plan: String, Sendable, Codable, CaseIterable {
  case free, pro, enterprise
}

/// Limits of a plan, or a tenant's overrides of them. In overrides `nil` means "the plan's value";
/// everywhere `-1` means unlimited.
public struct PlanLimits: Sendable, Hashable, Codable {
  public var maxUsers: Int64?
  public var maxWorkflows: Int64?
  public var maxExecutionsPerDay: Int64?
  public var maxStorageBytes: Int64?
  public var maxNodesPerWorkflow: Int64?
  public var maxExecutionSeconds: Int64?
  public var rateLimitPerSecond: Int64?
  public var rateLimitBurst: Int64?
  public var maxConcurrentExecutions: Int64?
  public var maxQueuedExecutions: Int64?
  public var executionRetentionDays: Int64?
  /// The largest value one node or expression of a run may build, in bytes.
  public var maxValueBytes: Int64?
  /// The bytes of values one run may build in all: its memory budget.
  public var maxRunMemoryBytes: Int64?
  /// The largest result stored for one execution, in bytes; larger ones are cut to fit.
  public var maxResultBytes: Int64?

  public init(
    maxUsers: Int64? = nil,
    maxWorkflows: Int64? = nil,
    maxExecutionsPerDay: Int64? = nil,
    maxStorageBytes: Int64? = nil,
    maxNodesPerWorkflow: Int64? = nil,
    maxExecutionSeconds: Int64? = nil,
    rateLimitPerSecond: Int64? = nil,
    rateLimitBurst: Int64? = nil,
    maxConcurrentExecutions: Int64? = nil,
    maxQueuedExecutions: Int64? = nil,
    executionRetentionDays: Int64? = nil,
    maxValueBytes: Int64? = nil,
    maxRunMemoryBytes: Int64? = nil,
    maxResultBytes: Int64? = nil
  ) {
    self.maxUsers = maxUsers
    self.maxWorkflows = maxWorkflows
    self.maxExecutionsPerDay = maxExecutionsPerDay
    self.maxStorageBytes = maxStorageBytes
    self.maxNodesPerWorkflow = maxNodesPerWorkflow
    self.maxExecutionSeconds = maxExecutionSeconds
    self.rateLimitPerSecond = rateLimitPerSecond
    self.rateLimitBurst = rateLimitBurst
    self.maxConcurrentExecutions = maxConcurrentExecutions
    self.maxQueuedExecutions = maxQueuedExecutions
    self.executionRetentionDays = executionRetentionDays
    self.maxValueBytes = maxValueBytes
    self.maxRunMemoryBytes = maxRunMemoryBytes
    self.maxResultBytes = maxResultBytes
  }

  /// These limits with every field `overrides` sets replaced.
  public func applying(_ overrides: PlanLimits) -> PlanLimits {
    var result = self
    for field in Self.fields {
      if let value = overrides[keyPath: field] { result[keyPath: field] = value }
    }
    return result
  }

  /// Whether no field is set.
  public var isEmpty: Bool { Self.fields.allSatisfy { self[keyPath: $0] == nil } }

  /// Every field, for walking them generically.
  public static let fields: [any WritableKeyPath<PlanLimits, Int64?> & Sendable] = [
    \.maxUsers, \.maxWorkflows, \.maxExecutionsPerDay, \.maxStorageBytes, \.maxNodesPerWorkflow,
    \.maxExecutionSeconds, \.rateLimitPerSecond, \.rateLimitBurst, \.maxConcurrentExecutions,
    \.maxQueuedExecutions, \.executionRetentionDays, \.maxValueBytes, \.maxRunMemoryBytes,
    \.maxResultBytes,
  ]
}

/// The default limits of every plan (DESIGN.md section 7); configurable at start-up.
public struct PlanCatalog: Sendable, Hashable {
  public var limits: [Plan: PlanLimits]

  public init(limits: [Plan: PlanLimits]) {
    self.limits = limits
  }

  /// The limits in force for a tenant on `plan` with `overrides`.
  public func effectiveLimits(plan: Plan, overrides: PlanLimits) -> PlanLimits {
    (limits[plan] ?? PlanLimits()).applying(overrides)
  }

  public static let standard = PlanCatalog(limits: [
    .free: PlanLimits(
      maxUsers: 5,
      maxWorkflows: 10,
      maxExecutionsPerDay: 100,
      maxStorageBytes: 100_000_000,
      maxNodesPerWorkflow: 100,
      maxExecutionSeconds: 10,
      rateLimitPerSecond: 20,
      rateLimitBurst: 40,
      maxConcurrentExecutions: 2,
      maxQueuedExecutions: 100,
      executionRetentionDays: 30,
      maxValueBytes: 4 << 20,
      maxRunMemoryBytes: 64 << 20,
      maxResultBytes: 1 << 20
    ),
    .pro: PlanLimits(
      maxUsers: 25,
      maxWorkflows: 100,
      maxExecutionsPerDay: 1000,
      maxStorageBytes: 1_000_000_000,
      maxNodesPerWorkflow: 1000,
      maxExecutionSeconds: 60,
      rateLimitPerSecond: 100,
      rateLimitBurst: 200,
      maxConcurrentExecutions: 8,
      maxQueuedExecutions: 1000,
      executionRetentionDays: 90,
      maxValueBytes: 16 << 20,
      maxRunMemoryBytes: 256 << 20,
      maxResultBytes: 2 << 20
    ),
    .enterprise: PlanLimits(
      maxUsers: -1,
      maxWorkflows: -1,
      maxExecutionsPerDay: -1,
      maxStorageBytes: -1,
      maxNodesPerWorkflow: 10_000,
      maxExecutionSeconds: 300,
      rateLimitPerSecond: 1000,
      rateLimitBurst: 2000,
      maxConcurrentExecutions: 32,
      maxQueuedExecutions: 10_000,
      executionRetentionDays: 365,
      maxValueBytes: 64 << 20,
      maxRunMemoryBytes: 1 << 30,
      maxResultBytes: 3 << 20
    ),
  ])
}
