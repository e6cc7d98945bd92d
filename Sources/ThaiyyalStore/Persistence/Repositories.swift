public import ThaiyyalCore

/// Tenants themselves: the platform level, above every tenant's own data. Tenant-owned data is
/// reached through ``ScopedRepositories``.
public protocol TenantRepository {
  /// Inserts a new tenant.
  ///
  /// - Throws: ``DomainError/alreadyExists(resource:field:)`` for a taken slug or custom domain.
  func create(_ tenant: Tenant) throws

  /// A tenant by id or slug, in any status.
  func find(_ idOrSlug: String) throws -> Tenant?

  /// Every tenant not yet purged, for platform-wide jobs (start-up recovery, retention) that then
  /// work inside each tenant's scope.
  func all() throws -> [Tenant]

  /// A tenant by id.
  func find(id: TenantID) throws -> Tenant?

  /// Tenants newest first (ids are time-ordered), filtered, a page at a time (the cursor is the last id).
  func list(statuses: [Tenant.Status], plan: Plan?, page: PageRequest) throws -> Page<Tenant>

  /// Saves `tenant` if its revision is still `expectedRevision`, raising the revision.
  ///
  /// - Throws: ``DomainError/conflict(resource:)`` when another change came first.
  @discardableResult
  func update(_ tenant: Tenant, expectedRevision: Int64) throws -> Tenant

  /// Removes every row of a deleted tenant, in every table, and leaves a tombstone.
  ///
  /// - Returns: Rows removed per table.
  /// - Throws: ``DomainError/failedPrecondition(reason:detail:)`` unless the tenant is deleted.
  func purge(_ tenant: Tenant, audit: AuditContext, at now: Int64) throws -> [String: Int64]

  /// The tombstone of a purged tenant.
  func tombstone(
    id: TenantID
  ) throws -> (slug: String, purgedBy: String, deletedRowsJSON: String)?
}

/// The users of one tenant. Bound to one tenant: it reads and writes that tenant's rows only.
public protocol UserRepository {
  /// Inserts a user after checking the tenant's user quota, in the caller's transaction, so
  /// concurrent creators can never exceed the limit.
  ///
  /// - Throws: ``DomainError/quotaExceeded(_:)`` at the limit, ``DomainError/alreadyExists(resource:field:)``
  ///   for a taken email or username.
  func create(_ user: User, passwordHash: String, limits: PlanLimits) throws

  /// A user of this tenant by id; `nil` for ids of other tenants.
  func find(id: UserID) throws -> User?

  /// Users that count against the quota (all but deleted ones).
  func countActive() throws -> Int64

  /// A user of this tenant by email or username (case-insensitive).
  func find(login: String) throws -> (user: User, passwordHash: String)?

  /// The stored password hash of a user.
  func passwordHash(id: UserID) throws -> String?

  /// Users oldest first, a page at a time (the cursor is the last id).
  func list(_ filter: UserFilter, page: PageRequest) throws -> Page<User>

  /// Saves `user` if its revision is still `expectedRevision`, raising the revision.
  ///
  /// - Throws: ``DomainError/conflict(resource:)`` when another change came first,
  ///   ``DomainError/alreadyExists(resource:field:)`` for a taken email or username.
  @discardableResult
  func save(_ user: User, expectedRevision: Int64) throws -> User

  /// Counts a failed login; at `maxFailures` in a row the user is locked until `lockUntil`.
  ///
  /// - Returns: Whether this failure locked the user.
  func recordFailedLogin(id: UserID, maxFailures: Int64, lockUntil: Int64) throws -> Bool

  /// Records a successful login: clears failures and any lock, stamps the time.
  func recordLogin(id: UserID, at time: Int64) throws -> User?

  /// Replaces a user's password hash.
  func setPasswordHash(id: UserID, _ hash: String) throws

  /// Removes a user.
  func delete(id: UserID) throws

  /// Active owners, for the rule that a tenant keeps at least one.
  func countActiveOwners() throws -> Int64
}

/// The workflows of one tenant and their immutable versions. Bound to one tenant: it reads and writes that tenant's rows only.
public protocol WorkflowRepository {
  /// Inserts a workflow with its first version, after checking the workflow-count and storage
  /// quotas in the caller's transaction.
  func create(
    _ workflow: WorkflowRecord,
    definition: String,
    changeDescription: String,
    limits: PlanLimits
  ) throws

  /// A workflow of this tenant by id; `nil` for ids of other tenants.
  func find(id: WorkflowID) throws -> WorkflowRecord?

  /// One version of a workflow of this tenant.
  func version(_ workflowID: WorkflowID, _ version: Int64) throws -> WorkflowVersion?

  /// Versions newest first, a page at a time (the cursor is the last version number).
  func versions(
    _ workflowID: WorkflowID,
    before: Int64?,
    limit: Int,
    withDefinitions: Bool
  ) throws -> [WorkflowVersion]

  /// Workflows the filter's viewer may see, a page at a time.
  func list(
    _ filter: WorkflowFilter,
    after cursor: WorkflowCursor?,
    limit: Int
  ) throws -> (
    [WorkflowRecord], next: WorkflowCursor?
  )

  /// Saves the descriptive fields of `workflow` if its revision is still `expectedRevision`.
  ///
  /// - Throws: ``DomainError/conflict(resource:)`` when another change came first.
  @discardableResult
  func save(_ workflow: WorkflowRecord, expectedRevision: Int64) throws -> WorkflowRecord

  /// Appends an immutable version, after checking the storage quota. The caller raises the
  /// workflow's `latestVersion` with ``save(_:expectedRevision:)`` in the same transaction.
  func addVersion(_ version: WorkflowVersion, limits: PlanLimits) throws

  /// Counts an accepted execution: raises `execution_count` and moves `last_executed_at` forward,
  /// in one statement, so concurrent executions never lose a count.
  func recordExecution(of id: WorkflowID, at time: Int64) throws

  /// Removes a workflow with its versions and executions; returns how many executions went.
  @discardableResult
  func delete(id: WorkflowID) throws -> Int64
}

/// The executions of one tenant. Bound to one tenant: it reads and writes that tenant's rows only.
public protocol ExecutionRepository {
  /// Inserts an accepted (pending) execution after taking one from the tenant's daily quota and
  /// checking storage, and counts it on its workflow, all in the caller's transaction.
  func create(_ execution: ExecutionRecord, limits: PlanLimits, now: Int64) throws

  /// An execution of this tenant by id, with its input and result.
  func find(id: ExecutionID) throws -> ExecutionRecord?

  /// Executions newest first (ids are time-ordered), a page at a time.
  func list(_ filter: ExecutionFilter, page: PageRequest) throws -> Page<ExecutionRecord>

  /// Marks a pending execution running. Returns false when it is no longer pending (cancelled).
  ///
  /// The tenant's running executions, on every server sharing the database, are counted in the same
  /// transaction: at `maxRunning` the execution stays pending (``RunStart/tenantAtLimit``).
  func markRunning(id: ExecutionID, at time: Int64, maxRunning: Int) throws -> RunStart

  /// Records how an unfinished execution ended, with its output, in one statement. Returns false
  /// when it had already finished (a cancellation came first).
  @discardableResult
  func finish(id: ExecutionID, _ outcome: ExecutionOutcome) throws -> Bool

  /// Executions left pending or running (by a crash, when the server starts), oldest first.
  func unfinished() throws -> [ExecutionRecord]

  /// Puts an execution back in the queue (after a crash, when configured to re-run them). A run
  /// the server itself stopped (a graceful shutdown) gets its attempt back.
  func requeue(id: ExecutionID, returningAttempt: Bool) throws

  /// Deletes up to `limit` finished executions created before `cutoff`; returns how many went.
  func prune(createdBefore cutoff: Int64, limit: Int) throws -> Int
}

/// Whether a pending execution was marked running.
public enum RunStart: Sendable, Hashable {
  case started
  /// No longer pending (cancelled, or finished by another server), or taken over by another
  /// server from this server's queue.
  case notPending
  /// The tenant already runs its plan's number of executions at once; it stays pending.
  case tenantAtLimit
}

/// Quota usage of one tenant: counts of its rows and its daily counters.
public protocol UsageRepository {
  /// Current use of one quota, with the reset time of daily quotas.
  func used(_ quota: Quota, now: Int64) throws -> (used: Int64, resetsAt: Int64?)

  /// Takes `amount` of a daily counter if the limit allows, in the caller's transaction.
  ///
  /// - Throws: ``DomainError/quotaExceeded(_:)`` with the reset time when it would exceed `limit`.
  func take(_ quota: Quota, amount: Int64, limit: Int64, now: Int64) throws

  /// Refuses adding `amount` to a count or a size quota when it would pass the limit.
  ///
  /// - Throws: ``DomainError/quotaExceeded(_:)``.
  func requireRoom(_ quota: Quota, adding amount: Int64, limits: PlanLimits) throws
}

/// The append-only audit log of one tenant.
public protocol AuditRepository {
  /// Appends an entry in the caller's transaction.
  func append(_ entry: AuditEntry) throws

  /// Entries newest first (ids are time-ordered), a page at a time.
  func list(_ filter: AuditFilter, page: PageRequest) throws -> Page<AuditEntry>

  /// One entry by id.
  func find(id: String) throws -> AuditEntry?
}

/// One tenant's rows exactly as stored (ids, times, revisions, counters), table by table, for
/// moving the tenant to another installation. Bound to one tenant like the other repositories.
public protocol TenantArchiveRepository {
  /// Up to `limit` rows of `table` in key order, after the row whose key (the values of
  /// ``ArchiveTable/key``) is `after`; each row holds the values of ``ArchiveTable/columns``.
  func rows(of table: ArchiveTable, after: [ArchiveValue]?, limit: Int) throws -> [[ArchiveValue]]

  /// Inserts one row into `table`, as the values of ``ArchiveTable/columns``.
  func insert(_ values: [ArchiveValue], into table: ArchiveTable) throws
}

/// A stored value in a tenant archive.
public enum ArchiveValue: Sendable, Hashable {
  case null
  case integer(Int64)
  case text(String)
}

/// The tables of a tenant's own data, in the order an archive holds and loads them (each after
/// the tables it refers to), with the columns that move: the same on every backend. Columns that
/// belong to one server rather than to the tenant (execution leases) stay behind, and so does
/// the stored-bytes counter, which the database recounts as rows arrive.
public enum ArchiveTable: String, Sendable, CaseIterable {
  case users
  case workflows
  case workflowVersions = "workflow_versions"
  case executions = "workflow_executions"
  case quotaUsage = "quota_usage"
  case auditLog = "audit_logs"

  /// The columns moved, in the order of a row's values (`tenant_id` is not among them: the
  /// archive names its tenant once).
  public var columns: [String] {
    switch self {
    case .users:
      [
        "id", "email", "username", "display_name", "role", "status", "password_hash",
        "token_generation", "failed_logins", "locked_until", "last_login_at", "created_at",
        "updated_at", "revision",
      ]
    case .workflows:
      [
        "id", "name", "description", "tags", "category", "visibility", "published",
        "latest_version", "created_by", "updated_by", "created_at", "updated_at",
        "execution_count", "last_executed_at", "revision",
      ]
    case .workflowVersions:
      ["workflow_id", "version", "definition", "change_description", "created_by", "created_at"]
    case .executions:
      [
        "id", "workflow_id", "workflow_version", "status", "trigger", "input", "result", "error",
        "nodes_executed", "node_runs", "created_by", "created_at", "started_at", "finished_at",
        "attempts",
      ]
    case .quotaUsage:
      ["quota", "period", "used"]
    case .auditLog:
      [
        "id", "occurred_at", "actor_type", "actor_id", "action", "resource_type", "resource_id",
        "outcome", "reason", "peer", "request_id", "changes",
      ]
    }
  }

  /// The primary key after `tenant_id`: rows are read in its order.
  public var key: [String] {
    switch self {
    case .workflowVersions: ["workflow_id", "version"]
    case .quotaUsage: ["quota", "period"]
    default: ["id"]
    }
  }

  /// Rows of the table that stay behind.
  var exportFilter: String? {
    self == .quotaUsage ? "quota <> 'storage_bytes'" : nil
  }
}
