import Logging
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalStore

/// The platform-wide upkeep of executions, done tenant by tenant inside each tenant's scope:
/// recovery of executions a crash left unfinished, and pruning past the plan's retention.
struct ExecutionMaintenance: Sendable {
  let store: any Persistence
  let plans: PlanCatalog
  let clock: WallClock
  let logger: Logger

  /// Runs found running after this many starts are not re-queued again: each start ended with the
  /// server stopping, so the run may be what stops it.
  static let maxAttempts: Int64 = 2

  /// At start-up, before serving: every execution left pending or running is marked failed with
  /// error `interrupted` (or, when `requeue` is set, put back to pending and returned to be
  /// queued), and each is audited. A run that was running at each of its last ``maxAttempts``
  /// starts is failed as `poisoned` instead of re-queued.
  func recoverInterrupted(requeue: Bool) async throws -> [ExecutionJob] {
    let now = clock.nowMilliseconds()
    let plans = self.plans
    let (jobs, count) = try await store.write { tx -> ([ExecutionJob], Int) in
      var jobs: [ExecutionJob] = []
      var count = 0
      for tenant in try tx.tenants.all() {
        let scope = CrossTenantAccess.scope(of: tenant.id, for: .executionRecovery)
        let scoped = try tx.scoped(scope)
        for execution in try scoped.executions.unfinished() {
          count += 1
          let job = try Self.recover(
            execution,
            of: tenant,
            scope: scope,
            in: scoped,
            requeue: requeue,
            plans: plans,
            at: now
          )
          if let job { jobs.append(job) }
        }
      }
      return (jobs, count)
    }
    if count > 0 {
      logger.notice(
        "recovered executions interrupted by a stop",
        metadata: ["count": "\(count)", "requeued": "\(requeue)"]
      )
    }
    return jobs
  }

  /// Beside other servers on one database: takes over the executions whose server stopped renewing
  /// their lease (it died), and fails or re-queues each as ``recoverInterrupted(requeue:)`` does at
  /// start-up. The executions other servers hold are left alone.
  func recoverLapsed(_ leases: any ExecutionLeases, requeue: Bool) async throws -> [ExecutionJob] {
    let now = clock.nowMilliseconds()
    let lapsed = try await leases.claimLapsed(now: now, limit: 500)
    guard !lapsed.isEmpty else { return [] }
    let plans = self.plans
    let byTenant = Dictionary(grouping: lapsed, by: \.tenantID)
    let jobs = try await store.write { tx -> [ExecutionJob] in
      var jobs: [ExecutionJob] = []
      // In id order, so that the per-tenant locks of concurrent recoveries cannot form a cycle.
      for tenantID in byTenant.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
        guard let tenant = try tx.tenants.find(id: tenantID) else { continue }
        let scope = CrossTenantAccess.scope(of: tenant.id, for: .executionRecovery)
        let scoped = try tx.scoped(scope)
        for item in byTenant[tenantID] ?? [] {
          guard let execution = try scoped.executions.find(id: item.executionID),
            execution.status == .pending || execution.status == .running
          else { continue }
          let job = try Self.recover(
            execution,
            of: tenant,
            scope: scope,
            in: scoped,
            requeue: requeue,
            plans: plans,
            at: now
          )
          if let job { jobs.append(job) }
        }
      }
      return jobs
    }
    logger.notice(
      "took over executions whose server stopped renewing their lease",
      metadata: ["count": "\(lapsed.count)", "requeued": "\(jobs.count)"]
    )
    return jobs
  }

  /// Beside other servers on one database: takes over up to `limit` executions that waited at
  /// least `waited` in busy servers' queues, as jobs for this server's idle workers.
  func claimWaiting(
    _ leases: any ExecutionLeases,
    waited: Duration,
    limit: Int
  ) async throws -> [ExecutionJob] {
    let now = clock.nowMilliseconds()
    let claimed = try await leases.claimWaiting(now: now, waited: waited, limit: limit)
    guard !claimed.isEmpty else { return [] }
    let tenantIDs = Set(claimed.map(\.tenantID))
    let tenants = try await store.read { tx in
      try tenantIDs.compactMap { try tx.tenants.find(id: $0) }
    }
    let limits = Dictionary(
      uniqueKeysWithValues: tenants.map {
        ($0.id, plans.effectiveLimits(plan: $0.plan, overrides: $0.limitOverrides))
      }
    )
    // A tenant purged meanwhile took its executions with it.
    return claimed.compactMap { item in
      limits[item.tenantID].map {
        Self.job(
          item.executionID,
          scope: CrossTenantAccess.scope(of: item.tenantID, for: .executionSharing),
          limits: $0,
          input: nil
        )
      }
    }
  }

  /// Ends or re-queues one execution its server stopped, in the caller's transaction; returns the
  /// job to queue when it is re-queued. A run that was running at each of its last
  /// ``maxAttempts`` starts is failed as `poisoned` instead.
  static func recover(
    _ execution: ExecutionRecord,
    of tenant: Tenant,
    scope: TenantScope,
    in scoped: any ScopedRepositories,
    requeue: Bool,
    plans: PlanCatalog,
    at now: Int64
  ) throws -> ExecutionJob? {
    if requeue, execution.status == .running, execution.attempts >= maxAttempts {
      try poisoned(execution, in: scoped, at: now)
      return nil
    }
    let requeued = requeue && tenant.status != .deleted
    try interrupt(
      execution.id,
      in: scoped,
      requeue: requeued,
      reason: "the server stopped while the execution was \(execution.status.rawValue)",
      at: now
    )
    guard requeued else { return nil }
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    return job(execution.id, scope: scope, limits: limits, input: nil)
  }

  /// Fails a run the server stopped during each of its attempts, and audits it.
  static func poisoned(
    _ execution: ExecutionRecord,
    in scoped: any ScopedRepositories,
    at now: Int64
  ) throws {
    let outcome = ExecutionOutcome(
      status: .failed,
      result: nil,
      error: "poisoned: the server stopped during each of its \(execution.attempts) attempts",
      nodesExecuted: 0,
      nodeRuns: nil,
      finishedAt: now
    )
    try scoped.executions.finish(id: execution.id, outcome)
    try scoped.audit.append(
      AuditContext.system(at: now).entry(
        tenant: scoped.tenantID,
        .executionPoisoned,
        resourceID: execution.id.rawValue,
        outcome: .failure,
        reason: "not re-queued after \(execution.attempts) attempts that each ended in a stop"
      )
    )
  }

  /// Ends an execution the server stopped (a crash, or a shutdown) in the caller's transaction:
  /// back to pending when `requeue`, else failed with error `interrupted`; audited as the system.
  /// A graceful shutdown (`graceful`) gives the run its attempt back: the run did not stop it.
  static func interrupt(
    _ id: ExecutionID,
    in scoped: any ScopedRepositories,
    requeue: Bool,
    graceful: Bool = false,
    reason: String,
    at now: Int64
  ) throws {
    if requeue {
      try scoped.executions.requeue(id: id, returningAttempt: graceful)
    } else {
      let outcome = ExecutionOutcome(
        status: .failed,
        result: nil,
        error: "interrupted",
        nodesExecuted: 0,
        nodeRuns: nil,
        finishedAt: now
      )
      try scoped.executions.finish(id: id, outcome)
    }
    try scoped.audit.append(
      AuditContext.system(at: now).entry(
        tenant: scoped.tenantID,
        requeue ? .executionRequeued : .executionInterrupted,
        resourceID: id.rawValue,
        outcome: requeue ? .success : .failure,
        reason: reason
      )
    )
  }

  /// Deletes finished executions older than each tenant's retention, `batchSize` per transaction,
  /// then hands freed pages back to the file system a little at a time. Returns how many went.
  @discardableResult
  func pruneExpired(batchSize: Int) async throws -> Int {
    let now = clock.nowMilliseconds()
    let tenants = try await store.read { tx in try tx.tenants.all() }
    var total = 0
    for tenant in tenants {
      let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
      guard let days = limits.executionRetentionDays, days >= 0 else { continue }
      let cutoff = now - days * 86_400_000
      let scope = CrossTenantAccess.scope(of: tenant.id, for: .executionRetention)
      while true {
        let deleted = try await store.write { tx in
          try tx.scoped(scope).executions.prune(createdBefore: cutoff, limit: batchSize)
        }
        total += deleted
        guard deleted == batchSize else { break }
        await Task.yield()
      }
    }
    if total > 0 {
      try await store.reclaimFreeSpace()
      logger.info("pruned executions past retention", metadata: ["count": "\(total)"])
    }
    return total
  }

  static func job(
    _ id: ExecutionID,
    scope: TenantScope,
    limits: PlanLimits,
    input: JSONValue?
  ) -> ExecutionJob {
    ExecutionJob(
      scope: scope,
      executionID: id,
      planLimits: limits,
      limits: EngineLimits(plan: limits),
      maxConcurrent: Self.count(limits.maxConcurrentExecutions, default: 4),
      input: input
    )
  }

  /// A plan count as an `Int`: -1 (unlimited) is `Int.max`, unset is `default`.
  static func count(_ value: Int64?, default fallback: Int) -> Int {
    guard let value else { return fallback }
    return value < 0 ? Int.max : Int(value)
  }
}
