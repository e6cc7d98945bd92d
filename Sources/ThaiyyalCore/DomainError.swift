/// Failures of domain rules, independent of the wire. The server maps each to a status in one
/// place.
public enum DomainError: Error, Sendable, Hashable {
  /// The resource does not exist, or belongs to another tenant (never reveal which).
  case notFound(resource: String, id: String)
  /// A unique field is taken.
  case alreadyExists(resource: String, field: String)
  /// A field failed validation.
  case invalidArgument(field: String, reason: String)
  /// The operation is not allowed in the resource's current state.
  case failedPrecondition(reason: String, detail: String)
  /// An etag or expected version did not match.
  case conflict(resource: String)
  /// A quota would be exceeded.
  case quotaExceeded(QuotaViolation)
  /// The caller may reach the resource but not do this to it (an admin editing an owner).
  case permissionDenied(detail: String, reason: String? = nil)
}

/// What a refused quota check found.
public struct QuotaViolation: Sendable, Hashable {
  public var quota: Quota
  public var limit: Int64
  public var used: Int64
  /// Milliseconds since the epoch when the quota resets, for daily quotas.
  public var resetsAt: Int64?

  public init(quota: Quota, limit: Int64, used: Int64, resetsAt: Int64? = nil) {
    self.quota = quota
    self.limit = limit
    self.used = used
    self.resetsAt = resetsAt
  }
}

/// The quotas a plan limits.
public enum Quota: String, Sendable, Hashable, CaseIterable {
  case users
  case workflows
  case executionsPerDay = "executions_per_day"
  case storageBytes = "storage_bytes"

  /// The limit of this quota in `limits` (-1 unlimited).
  public func limit(in limits: PlanLimits) -> Int64 {
    switch self {
    case .users: limits.maxUsers ?? -1
    case .workflows: limits.maxWorkflows ?? -1
    case .executionsPerDay: limits.maxExecutionsPerDay ?? -1
    case .storageBytes: limits.maxStorageBytes ?? -1
    }
  }
}
