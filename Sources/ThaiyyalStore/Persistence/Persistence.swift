public import ThaiyyalCore

/// Where the server keeps its data, whatever holds it: the application layer reaches storage
/// through this protocol only, so each database (SQLite, PostgreSQL) is one implementation of it.
///
/// A transaction is a synchronous closure on purpose: nothing can suspend inside one, so no
/// transaction holds its locks (or a database connection) while it waits on something other than
/// the database. Everything the closure does commits together or not at all.
public protocol Persistence: Sendable {
  /// Runs `body` in one write transaction.
  func write<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T

  /// Runs `body` in a read-only snapshot.
  func read<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T

  /// Hands storage that deleted rows freed back to the system, in short steps outside any long
  /// transaction (a database that does this by itself does nothing here).
  func reclaimFreeSpace() async throws

  /// The database's own consistency check: `ok` when it is sound, otherwise what it found.
  func integrityCheck() async throws -> String

  /// Closes every connection; later calls fail.
  func close() throws

  /// Leases of executions where several servers share the database (PostgreSQL); `nil` where
  /// one server owns it alone (SQLite) and recovers every unfinished execution when it starts.
  var leases: (any ExecutionLeases)? { get }
}

/// Which server runs an execution, where several share one database: the server that accepted or
/// claimed an execution holds its lease while it renews it; when a server dies its leases lapse
/// and another server takes its unfinished executions over.
public protocol ExecutionLeases: Sendable {
  /// How long a lease lasts unless renewed.
  var leaseDuration: Duration { get }

  /// Extends every lease this server holds; returns how many.
  @discardableResult
  func renew(now: Int64) async throws -> Int

  /// Takes over up to `limit` unfinished executions whose lease lapsed before `now`; each is
  /// claimed by one server only.
  func claimLapsed(now: Int64, limit: Int) async throws -> [ClaimedExecution]

  /// Takes over up to `limit` pending executions that have waited at least `waited` in the queue
  /// of another server whose lease holds (it is alive, and busy), fairly between tenants: each
  /// tenant's oldest before the second of any, the tenants running fewest first. The server that
  /// queued one first no longer starts it.
  func claimWaiting(now: Int64, waited: Duration, limit: Int) async throws -> [ClaimedExecution]

  /// Hands the pending executions this server holds to the other servers, when it stops: any of
  /// them takes them over at once, and they never lapse. Returns how many.
  @discardableResult
  func releaseWaiting() async throws -> Int
}

/// An execution taken over from another server: one that stopped renewing its lease, or one
/// whose queue it waited in.
public struct ClaimedExecution: Sendable, Hashable {
  public let tenantID: TenantID
  public let executionID: ExecutionID

  public init(tenantID: TenantID, executionID: ExecutionID) {
    self.tenantID = tenantID
    self.executionID = executionID
  }
}

extension Persistence {
  /// ``write(_:)`` for work that must land even when the calling task was cancelled (recording
  /// how a cancelled run ended): it runs in a task of its own, which the caller's cancellation does
  /// not reach.
  public func writeEvenIfCancelled<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    try await Task { try await self.write(body) }.value
  }
}

/// One transaction's view of the store: the platform level (tenants) directly, tenant-owned data
/// only through ``scoped(_:)``, which needs a ``TenantScope`` that only tenant resolution makes.
public protocol StoreTransaction {
  /// Tenants themselves (platform level: the operator's view).
  var tenants: any TenantRepository { get }

  /// The repositories of one tenant's data; everything they read or write belongs to that tenant.
  func scoped(_ scope: TenantScope) throws -> any ScopedRepositories
}

/// The repositories of one tenant's data.
public protocol ScopedRepositories {
  /// The tenant every repository here is bound to.
  var tenantID: TenantID { get }
  var users: any UserRepository { get }
  var workflows: any WorkflowRepository { get }
  var executions: any ExecutionRepository { get }
  var usage: any UsageRepository { get }
  var audit: any AuditRepository { get }
  /// The tenant's rows as stored, for moving it to another installation.
  var archive: any TenantArchiveRepository { get }
}
