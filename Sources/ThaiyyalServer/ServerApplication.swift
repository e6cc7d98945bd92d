import Foundation
public import Logging
public import NIOCore
public import ServiceLifecycle
import ThaiyyalCore
import ThaiyyalProto
public import ThaiyyalRPC
public import ThaiyyalStore
public import ThaiyyalTransport

/// The composition root: wires configuration, services, the interceptor chain and the transport
/// into one `Service` that `thaiyyal serve` and the test harness run.
///
/// ```swift
/// let app = try ServerApplication(configuration: configuration, logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
///
/// On graceful shutdown it reports `NOT_SERVING`, stops accepting, lets in-flight calls finish
/// (up to the drain timeout), removes the socket file and returns.
public final class ServerApplication: Service, Sendable {
  public let configuration: ServerConfiguration
  private let logger: Logger
  private let health = HealthService()
  private let listening = OneShot<[BindAddress]>()
  /// Every call's handler with its interceptors, for the transports and in-process tests.
  public let handlerTable: RPCHandlerTable
  /// The database, open and migrated.
  public let store: any Persistence
  let scheduler: ExecutionScheduler
  let runner: ExecutionRunner
  let maintenance: ExecutionMaintenance
  /// Password hashing, on its own threads; see ``BlockingWork``.
  let blocking: BlockingWork
  /// Decoded definitions of the versions run so far.
  let definitions = DefinitionCache()
  /// Held while this server may use the data directory's SQLite file.
  private let directoryLock: DataDirectoryLock?

  /// The SQLite file under the data directory (opened and migrated), or the PostgreSQL database
  /// `databaseURL` names (checked: a safe role and a current schema).
  static func openStore(
    _ configuration: ServerConfiguration,
    logger: Logger
  ) async throws -> any Persistence {
    if let url = configuration.databaseURL {
      var postgres = PostgresStoreConfiguration(url: url)
      postgres.maxConnections = configuration.databaseMaxConnections
      postgres.leaseDuration = configuration.executionLease
      let store = PostgresStore(configuration: postgres, logger: logger)
      do {
        try await store.checkReadyToServe()
      } catch {
        try? store.close()
        throw error
      }
      logger.info("serving from PostgreSQL", metadata: ["database": "\(url)"])
      return store
    }
    var storeConfiguration = StoreConfiguration(path: configuration.databasePath)
    storeConfiguration.synchronous = configuration.synchronous
    storeConfiguration.statementObserver = configuration.statementObserver
    return try SQLiteStore(configuration: storeConfiguration)
  }

  /// The database a configuration names, for the operator's commands that work on it directly
  /// while a server may be serving it (`tenant export`, `tenant import`): never created or
  /// migrated here, and refused unless every migration this binary knows is applied.
  public static func openStoreForOperator(
    _ configuration: ServerConfiguration,
    logger: Logger
  ) async throws -> any Persistence {
    if configuration.databaseURL != nil {
      return try await openStore(configuration, logger: logger)
    }
    let path = configuration.databasePath
    guard FileManager.default.fileExists(atPath: path) else {
      throw StoreError.cannotOpen(
        path: path,
        reason: "there is no database: start the server once, or run thaiyyal migrate"
      )
    }
    let store = try SQLiteStore(configuration: StoreConfiguration(path: path), migrate: false)
    let pending = try store.migrationStatus().filter {
      if case .applied = $0.state { false } else { true }
    }
    guard pending.isEmpty else {
      try? store.close()
      throw StoreError.migrationsPending(pending.map(\.identifier))
    }
    return store
  }

  /// Creates the data directory if needed, opens and migrates the database, and wires the
  /// services; nothing runs until ``run()``.
  ///
  /// - Throws: ``StoreError`` when the database cannot be opened or a migration was tampered with.
  public init(configuration: ServerConfiguration, logger: Logger) async throws {
    self.configuration = configuration
    self.logger = logger
    try DataDirectory.prepare(configuration.dataDirectory, logger: logger)
    // Servers on PostgreSQL share their database by design; on SQLite one server owns the file.
    directoryLock =
      configuration.databaseURL == nil
      ? try DataDirectoryLock.acquire(in: configuration.dataDirectory) : nil
    let store = MeasuredPersistence(try await Self.openStore(configuration, logger: logger))
    self.store = store
    if let slug = configuration.singleTenant {
      let tenant = try await Tenants.ensureOrganisation(
        slug,
        store: store,
        at: configuration.clock.nowMilliseconds()
      )
      logger.info(
        "serving one organisation",
        metadata: ["tenant": "\(tenant.slug)", "tenant_id": "\(tenant.id)"]
      )
    }
    // Half the cores at most hash passwords: a login flood leaves the rest to serving.
    let blocking = BlockingWork(
      threads: max(1, ProcessInfo.processInfo.activeProcessorCount / 2),
      maxPending: configuration.maxPendingPasswordChecks
    )
    self.blocking = blocking
    let tenants = TenantDirectory(store: store, ttl: configuration.directoryLifetime)
    let identities = IdentityDirectory(store: store, ttl: configuration.directoryLifetime)
    if configuration.databaseURL != nil && configuration.jwtSecret == nil {
      logger.warning(
        "no security.jwt_secret: tokens this server signs are valid on this server only; give every server on the database the same secret"
      )
    }
    let ring = try KeyRing.load(
      secret: configuration.jwtSecret,
      dataDirectory: configuration.dataDirectory
    )
    let tokens = await TokenIssuer(
      ring: ring,
      clock: configuration.clock,
      lifetime: configuration.tokenLifetime
    )
    let hasher = PasswordHasher(logN: configuration.passwordHashCost)
    let denials = DenialRecorder(store: store, tenants: tenants, clock: configuration.clock)
    let scheduler = ExecutionScheduler(workers: configuration.executionWorkers)
    self.scheduler = scheduler
    let maintenance = ExecutionMaintenance(
      store: store,
      plans: configuration.plans,
      clock: configuration.clock,
      logger: logger
    )
    self.maintenance = maintenance
    self.runner = ExecutionRunner(
      store: store,
      clock: configuration.clock,
      logger: logger,
      requeueOnShutdown: configuration.requeueInterruptedExecutions,
      isShuttingDown: { await scheduler.isStopping },
      canceller: { await scheduler.canceller(of: $0) },
      definitions: definitions
    )
    // Hashed on the hashing threads: scrypt takes tens of milliseconds (more in a debug build)
    // and must not hold a thread of the pool that serves calls.
    let passwords = Passwords(hasher: hasher, blocking: blocking)
    let decoyHash = try await passwords.hash(UUIDv7.generate())
    let clock = configuration.clock
    let lockout = Int64(configuration.lockout.components.seconds) * 1000
    var router = RPCRouter()
    health.register(with: &router)
    TenantService(
      tenants: Tenants(
        store: store,
        directory: tenants,
        plans: configuration.plans,
        passwords: passwords
      ),
      plans: configuration.plans,
      clock: clock,
      singleTenant: configuration.singleTenant
    )
    .register(with: &router)
    UserService(
      accounts: Accounts(store: store, identities: identities, passwords: passwords),
      signIn: SignIn(
        store: store,
        tenants: tenants,
        identities: identities,
        tokens: tokens,
        passwords: passwords,
        security: SecurityPolicy(
          accountLockoutFailures: configuration.accountLockoutFailures,
          lockoutMilliseconds: lockout
        ),
        throttle: LoginThrottle(
          maxFailures: configuration.maxFailedLogins,
          window: lockout,
          clock: clock
        ),
        clock: clock,
        decoyHash: decoyHash,
        singleTenant: configuration.singleTenant
      ),
      identities: identities
    )
    .register(with: &router)
    AuditService(log: AuditLog(store: store)).register(with: &router)
    WorkflowService(workflows: Workflows(store: store)).register(with: &router)
    ExecutionService(executions: Executions(store: store, scheduler: scheduler))
      .register(with: &router)
    self.handlerTable = router.resolve(
      interceptors: InterceptorPipeline.make(
        configuration: configuration,
        tenants: tenants,
        identities: identities,
        tokens: tokens,
        denials: denials
      )
    )
  }

  /// Every service the server serves.
  public static let services: [ServiceDescriptor] = [
    Thaiyyal_V1_Health.descriptor, Thaiyyal_V1_TenantService.descriptor,
    Thaiyyal_V1_UserService.descriptor, Thaiyyal_V1_AuditService.descriptor,
    Thaiyyal_V1_WorkflowService.descriptor, Thaiyyal_V1_ExecutionService.descriptor,
  ]

  /// Deletes finished executions past each tenant's retention now (the server also does it every
  /// `retentionInterval`). Returns how many went.
  @discardableResult
  public func pruneExpiredExecutions() async throws -> Int {
    try await maintenance.pruneExpired(batchSize: configuration.retentionBatchSize)
  }

  /// How many executions are queued and running.
  public func executionLoad() async -> (queued: Int, running: Int) {
    await scheduler.load
  }

  /// Stops starting executions and ends running ones (waiting up to `grace` for them); queued
  /// ones stay pending in the database for the next start. `run()` does this on shutdown.
  public func stopExecutions(grace: Duration) async {
    await scheduler.shutdown(grace: grace)
  }

  /// Where the observability endpoint listens, once it does (with `observabilityAddress` set).
  public func observabilityAddress() async throws -> SocketAddress {
    try await observabilityListening.value
  }

  private let observabilityListening = OneShot<SocketAddress>()

  /// What the observability endpoint answers.
  var observabilityRoutes: ObservabilityRoutes {
    let (store, health) = (self.store, self.health)
    return ObservabilityRoutes(
      exposition: MetricsExposition(
        registry: configuration.metricsRegistry,
        store: store,
        plans: configuration.plans,
        clock: configuration.clock,
        scheduler: scheduler
      ),
      unready: {
        var reasons: [String] = []
        if health.isDraining { reasons.append("draining") }
        do {
          // A point read: the database answers, with the server's own role and schema.
          _ = try await store.read { tx in try tx.tenants.find(id: TenantID("readiness-probe")) }
        } catch {
          reasons.append("database unreachable")
        }
        return reasons
      }
    )
  }

  /// The addresses the server listens on, once it does.
  ///
  /// - Throws: The start-up error when the server could not listen.
  public func listeningAddresses() async throws -> [BindAddress] {
    try await listening.value
  }

  /// Recovers the executions a previous process left unfinished (failed as `interrupted`, or
  /// re-queued) before anything serves, then runs the execution workers, retention and the
  /// transport until graceful shutdown, which stops them in reverse order: the transport drains
  /// its calls, then running executions get the drain timeout to finish.
  public func run() async throws {
    defer { try? store.close() }
    defer { blocking.shutdown() }
    let recovered: [ExecutionJob]
    let requeue = configuration.requeueInterruptedExecutions
    do {
      // Alone on the database every unfinished execution was this server's; beside others, only
      // those whose lease lapsed are (the others' are running elsewhere).
      if let leases = store.leases {
        recovered = try await maintenance.recoverLapsed(leases, requeue: requeue)
      } else {
        recovered = try await maintenance.recoverInterrupted(requeue: requeue)
      }
    } catch {
      listening.resolve(.failure(error))
      throw error
    }
    var leaseUpkeep: [any Service] = []
    if let leases = store.leases {
      leaseUpkeep.append(
        LeaseService(
          leases: leases,
          maintenance: maintenance,
          scheduler: scheduler,
          requeue: requeue,
          clock: configuration.clock,
          logger: logger
        )
      )
      leaseUpkeep.append(
        WorkSharingService(
          leases: leases,
          maintenance: maintenance,
          scheduler: scheduler,
          logger: logger
        )
      )
    }
    var observability: [any Service] = []
    if let address = configuration.observabilityAddress,
      let (host, port) = ServerConfiguration.splitHostPort(address)
    {
      observability.append(
        ObservabilityServer(
          host: host,
          port: port,
          routes: observabilityRoutes,
          logger: logger,
          listening: observabilityListening
        )
      )
    }
    let parts = ServiceGroup(
      services: observability + leaseUpkeep + [
        ExecutionWorkers(
          scheduler: scheduler,
          runner: runner,
          recovered: recovered,
          grace: configuration.transport.drainTimeout,
          leases: store.leases,
          logger: logger
        ),
        RetentionService(
          maintenance: maintenance,
          interval: configuration.retentionInterval,
          batchSize: configuration.retentionBatchSize,
          logger: logger
        ),
        TransportService(
          table: handlerTable,
          configuration: configuration,
          health: health,
          listening: listening,
          logger: logger
        ),
      ],
      logger: logger
    )
    try await withGracefulShutdownHandler {
      try await parts.run()
    } onGracefulShutdown: {
      Task { await parts.triggerGracefulShutdown() }
    }
    logger.info("stopped")
  }
}
