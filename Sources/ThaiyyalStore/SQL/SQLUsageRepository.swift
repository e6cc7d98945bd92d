import ThaiyyalCore

/// Quota usage of one tenant: counts of rows and the counters in `quota_usage`.
struct SQLUsageRepository: UsageRepository {
  let db: any SQLConnection
  let tenantID: TenantID

  /// Current use of one quota, with the reset time of daily quotas.
  func used(_ quota: Quota, now: Int64) throws -> (used: Int64, resetsAt: Int64?) {
    switch quota {
    case .users:
      return (try SQLUserRepository(db: db, tenantID: tenantID).countActive(), nil)
    case .workflows:
      let count = try db.fetchInt(
        "SELECT count(*) FROM workflows WHERE tenant_id = ?",
        [tenantID.rawValue]
      )
      return (count ?? 0, nil)
    case .executionsPerDay:
      let (day, reset) = Clock.utcDay(of: now)
      return (try counter(quota, period: day), reset)
    case .storageBytes:
      return (try counter(quota, period: ""), nil)
    }
  }

  /// Takes `amount` of a daily counter if the limit allows, in the caller's transaction.
  ///
  /// - Throws: ``DomainError/quotaExceeded(_:)`` with the reset time when it would exceed `limit`.
  func take(_ quota: Quota, amount: Int64 = 1, limit: Int64, now: Int64) throws {
    precondition(quota == .executionsPerDay, "only counters can be taken")
    let (day, reset) = Clock.utcDay(of: now)
    let used = try counter(quota, period: day)
    if limit >= 0 && used + amount > limit {
      throw DomainError.quotaExceeded(
        QuotaViolation(quota: quota, limit: limit, used: used, resetsAt: reset)
      )
    }
    try db.run(
      """
      INSERT INTO quota_usage (tenant_id, quota, period, used) VALUES (?, ?, ?, ?)
      ON CONFLICT (tenant_id, quota, period) DO UPDATE SET used = quota_usage.used + excluded.used
      """,
      [tenantID.rawValue, quota.rawValue, day, amount]
    )
  }

  /// Refuses adding `amount` to a count or a size quota when it would pass the limit.
  ///
  /// - Throws: ``DomainError/quotaExceeded(_:)``.
  func requireRoom(_ quota: Quota, adding amount: Int64, limits: PlanLimits) throws {
    precondition(quota != .executionsPerDay, "daily counters are taken, not checked")
    let limit = quota.limit(in: limits)
    guard limit >= 0 else { return }
    let (used, _) = try used(quota, now: 0)
    if used + amount > limit {
      throw DomainError.quotaExceeded(QuotaViolation(quota: quota, limit: limit, used: used))
    }
  }

  private func counter(_ quota: Quota, period: String) throws -> Int64 {
    try db.fetchInt(
      "SELECT used FROM quota_usage WHERE tenant_id = ? AND quota = ? AND period = ?",
      [tenantID.rawValue, quota.rawValue, period]
    ) ?? 0
  }
}
