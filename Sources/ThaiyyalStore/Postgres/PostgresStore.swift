import Foundation
public import Logging
import NIOCore
import PostgresNIO
import ThaiyyalCore
import ThaiyyalThreads

/// How the server uses a PostgreSQL database.
public struct PostgresStoreConfiguration: Sendable {
  public var url: PostgresURL
  /// Connections opened at most; as many transactions run at once, each on a thread of its own.
  public var maxConnections: Int = 8
  /// A statement running longer is cancelled by the database.
  public var statementTimeout: Duration = .seconds(10)
  /// How long a transaction waits for a free connection before its call answers UNAVAILABLE.
  public var acquireTimeout: Duration = .seconds(5)
  public var connectTimeout: Duration = .seconds(5)
  /// This server's name in execution leases; new every start.
  public var serverID = UUIDv7.generate()
  /// How long an execution stays this server's without renewal; a server renews every third of
  /// it, and another takes the executions over once it lapsed.
  public var leaseDuration: Duration = .seconds(15)

  public init(url: PostgresURL) { self.url = url }
}

/// The PostgreSQL backend: tenant isolation enforced by row-level security (every tenant
/// transaction sets `app.tenant_id`), several servers on one database.
///
/// A transaction is the same synchronous closure as on SQLite. It runs on a thread of the store's
/// own (`maxConnections` of them), holding one pooled connection, and waits on each query there,
/// so neither the event loops nor the cooperative pool ever block.
public final class PostgresStore: Persistence {
  public let configuration: PostgresStoreConfiguration
  let pool: PostgresConnectionPool
  let threads: DedicatedThreads
  private let logger: Logger

  /// Makes the store; connections open when first needed. ``checkReadyToServe()`` tells whether
  /// the database may be served from.
  public init(configuration: PostgresStoreConfiguration, logger: Logger) {
    self.configuration = configuration
    self.logger = logger
    let count = max(1, configuration.maxConnections)
    threads = DedicatedThreads(name: "postgres", count: count, niceness: 0)
    pool = PostgresConnectionPool(
      configuration: configuration,
      maxConnections: count,
      logger: logger
    )
  }

  public func write<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    try await withTaskExecutorPreference(threads) {
      try self.transaction(writes: true, body)
    }
  }

  public func read<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    try await withTaskExecutorPreference(threads) {
      try self.transaction(writes: false, body)
    }
  }

  /// PostgreSQL's autovacuum reclaims space by itself.
  public func reclaimFreeSpace() async throws {}

  /// A round trip through the pool: `ok` when the database answers. PostgreSQL checks its own
  /// pages (data checksums, `amcheck`), which is the operator's tool, not the server's.
  public func integrityCheck() async throws -> String {
    try await withSession { session in
      _ = try session.fetchRow("SELECT 1", [])
      return "ok"
    }
  }

  public func close() throws {
    pool.close()
    threads.shutdown()
  }

  public var leases: (any ExecutionLeases)? { self }

  /// Refuses to serve from a database where row-level security would not hold (the server's role
  /// is a superuser, may bypass it, or owns the tables) or whose schema is not this binary's.
  public func checkReadyToServe() async throws {
    let user = configuration.url.username
    try await withSession { connection in
      let role = try connection.fetchRow(
        """
        SELECT rolsuper::int AS superuser, rolbypassrls::int AS bypass,
          (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user)
            AS owned,
          pg_has_role(current_user, 'thaiyyal_app', 'member')::int AS member
        FROM pg_roles WHERE rolname = current_user
        """,
        []
      )
      guard let role else { throw StoreError.unsafeDatabaseRole("the server's role is unknown") }
      if role["superuser"] as Bool {
        throw StoreError.unsafeDatabaseRole("role \(user) is a superuser")
      }
      if role["bypass"] as Bool {
        throw StoreError.unsafeDatabaseRole("role \(user) has BYPASSRLS")
      }
      if (role["owned"] as Int64) > 0 {
        throw StoreError.unsafeDatabaseRole("role \(user) owns the schema's tables")
      }
      if !(role["member"] as Bool) {
        throw StoreError.unsafeDatabaseRole("role \(user) is not a member of thaiyyal_app")
      }
      let statuses = try PostgresMigrations.status(connection)
      try Migration.requireNoTampering(statuses)
      let pending = statuses.filter { $0.state == .pending }.map(\.identifier)
      guard pending.isEmpty else { throw StoreError.migrationsPending(pending) }
    }
  }

  private func transaction<T>(
    writes: Bool,
    _ body: (any StoreTransaction) throws -> T
  ) throws -> T {
    try pool.withConnection { connection in
      // A read sees one snapshot throughout, as on SQLite: a read of many statements (a tenant
      // export, a page and its count) is consistent. Read-only, it never fails to serialise.
      try connection.execute(
        writes ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
      )
      let result: T
      do {
        result = try body(SQLTransaction(connection: connection.transaction(writes: writes)))
      } catch {
        try? connection.execute("ROLLBACK")
        throw error
      }
      try connection.execute("COMMIT")
      return result
    }
  }
}

/// At most `maxConnections` connections, leased to one transaction at a time. Used from the
/// store's own threads, so it may block while it waits for a connection.
final class PostgresConnectionPool: @unchecked Sendable {
  private let configuration: PostgresStoreConfiguration
  private let maxConnections: Int
  private let logger: Logger
  /// Guards the fields below.
  private let condition = NSCondition()
  private var idle: [PostgresConnection] = []
  private var open = 0
  private var closed = false
  private var nextID = 0

  init(configuration: PostgresStoreConfiguration, maxConnections: Int, logger: Logger) {
    self.configuration = configuration
    self.maxConnections = maxConnections
    self.logger = logger
  }

  /// Runs `body` with a leased connection. A connection whose use failed for a reason of the
  /// connection's (not of a statement) is closed instead of being returned, so the next lease
  /// opens a fresh one: the server recovers by itself when the database comes back.
  func withConnection<T>(_ body: (PostgresSession) throws -> T) throws -> T {
    let connection = try lease()
    let session = PostgresSession(connection: connection, logger: logger)
    do {
      let result = try body(session)
      give(back: connection, broken: false)
      return result
    } catch {
      give(back: connection, broken: error is StoreUnavailable || connection.isClosed)
      throw error
    }
  }

  func close() {
    condition.lock()
    closed = true
    let connections = idle
    idle = []
    condition.broadcast()
    condition.unlock()
    for connection in connections { Self.close(connection) }
  }

  private func lease() throws -> PostgresConnection {
    let deadline = Date().addingTimeInterval(Self.seconds(configuration.acquireTimeout))
    condition.lock()
    while true {
      if closed {
        condition.unlock()
        throw StoreUnavailable("the database store is closed")
      }
      if let connection = idle.popLast() {
        if connection.isClosed {
          open -= 1
          continue
        }
        condition.unlock()
        return connection
      }
      if open < maxConnections {
        open += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
          return try connect(id: id)
        } catch {
          condition.lock()
          open -= 1
          condition.signal()
          condition.unlock()
          throw error
        }
      }
      if !condition.wait(until: deadline) {
        condition.unlock()
        throw StoreUnavailable("all \(maxConnections) database connections stayed busy")
      }
    }
  }

  private func give(back connection: PostgresConnection, broken: Bool) {
    condition.lock()
    if broken || closed {
      open -= 1
      condition.signal()
      condition.unlock()
      Self.close(connection)
      return
    }
    idle.append(connection)
    condition.signal()
    condition.unlock()
  }

  private func connect(id: Int) throws -> PostgresConnection {
    let url = configuration.url
    var postgres: PostgresConnection.Configuration
    switch url.endpoint {
    case .tcp(let host, let port):
      postgres = .init(
        host: host,
        port: port,
        username: url.username,
        password: url.password,
        database: url.database,
        tls: .disable
      )
    case .unixSocket(let directory, let port):
      postgres = .init(
        unixSocketPath: "\(directory)/.s.PGSQL.\(port)",
        username: url.username,
        password: url.password,
        database: url.database
      )
    }
    postgres.options.connectTimeout = TimeAmount(configuration.connectTimeout)
    let timeout = configuration.statementTimeout.components
    let milliseconds = timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000
    let lease = configuration.leaseDuration.components
    postgres.options.additionalStartupParameters = [
      // Other servers see this server alive by its sessions (migrations/postgres/0003).
      ("application_name", "thaiyyal/" + configuration.serverID),
      // Read by the executions' column defaults: a new execution is leased to this server.
      ("app.server_id", configuration.serverID),
      ("app.lease_ms", String(lease.seconds * 1000 + lease.attoseconds / 1_000_000_000_000_000)),
      ("statement_timeout", String(milliseconds)),
      ("idle_in_transaction_session_timeout", String(milliseconds * 3)),
    ]
    do {
      return try PostgresConnection.connect(
        on: PostgresConnection.defaultEventLoopGroup.any(),
        configuration: postgres,
        id: id,
        logger: logger
      ).wait()
    } catch let error as PSQLError {
      // Whatever the server said (no such role, connections not allowed, too many clients), the
      // call cannot be served now; the reason goes to the log, never the password.
      let reason = error.serverInfo?[.message] ?? "\(error.code)"
      throw StoreUnavailable("cannot connect to \(url): \(reason)")
    } catch {
      throw StoreUnavailable("cannot connect to \(url): \(error)")
    }
  }

  /// Closes a connection, keeping it alive until it has closed (PostgresNIO requires that a
  /// connection is closed before it goes away).
  static func close(_ connection: PostgresConnection) {
    let closing: EventLoopFuture<Void> = connection.close()
    closing.whenComplete { _ in withExtendedLifetime(connection) {} }
  }

  static func seconds(_ duration: Duration) -> TimeInterval {
    let components = duration.components
    return TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
  }
}

/// A leased connection outside any transaction: what the pool hands to its user.
struct PostgresSession {
  let connection: PostgresConnection
  let logger: Logger

  /// The connection for the repositories of one transaction.
  func transaction(writes: Bool) -> PostgresSQLConnection {
    PostgresSQLConnection(connection: connection, logger: logger, writes: writes)
  }

  func execute(_ sql: String) throws {
    try transaction(writes: false).execute(sql)
  }

  func fetchRow(_ sql: String, _ arguments: SQLArguments) throws -> SQLRow? {
    try transaction(writes: false).fetchRow(sql, arguments)
  }

  func fetchRows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
    try transaction(writes: false).fetchRows(sql, arguments)
  }
}

extension PostgresStore: ExecutionLeases {
  public var leaseDuration: Duration { configuration.leaseDuration }

  @discardableResult
  public func renew(now: Int64) async throws -> Int {
    let until = now + Self.milliseconds(configuration.leaseDuration)
    let server = configuration.serverID
    return try await withSession { session in
      let row = try session.fetchRow(
        "SELECT thaiyyal_renew_leases(?, ?) AS renewed",
        [server, until]
      )
      return Int(row?["renewed"] as Int64? ?? 0)
    }
  }

  public func claimLapsed(now: Int64, limit: Int) async throws -> [ClaimedExecution] {
    let until = now + Self.milliseconds(configuration.leaseDuration)
    return try await claim(
      "thaiyyal_claim_lapsed_executions(?, ?, ?, ?)",
      [now, until, Int64(limit)]
    )
  }

  public func claimWaiting(
    now: Int64,
    waited: Duration,
    limit: Int
  ) async throws -> [ClaimedExecution] {
    let until = now + Self.milliseconds(configuration.leaseDuration)
    return try await claim(
      "thaiyyal_claim_waiting_executions(?, ?, ?, ?, ?)",
      [now, until, Self.milliseconds(waited), Int64(limit)]
    )
  }

  @discardableResult
  public func releaseWaiting() async throws -> Int {
    let server = configuration.serverID
    return try await withSession { session in
      let row = try session.fetchRow(
        "SELECT thaiyyal_release_waiting_executions(?) AS released",
        [server]
      )
      return Int(row?["released"] as Int64? ?? 0)
    }
  }

  /// Calls one of the schema's claiming functions with this server's name and `numbers`; they
  /// return the executions claimed.
  private func claim(_ call: String, _ numbers: [Int64]) async throws -> [ClaimedExecution] {
    let server = configuration.serverID
    return try await withSession { session in
      let arguments: SQLArguments = [server] + numbers.map { $0 }
      return try session.fetchRows("SELECT claimed_tenant, claimed_id FROM \(call)", arguments).map
      {
        ClaimedExecution(
          tenantID: TenantID($0["claimed_tenant"] as String),
          executionID: ExecutionID($0["claimed_id"] as String)
        )
      }
    }
  }

  static func milliseconds(_ duration: Duration) -> Int64 {
    let components = duration.components
    return components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
  }
}
