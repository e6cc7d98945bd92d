import Foundation
public import Logging
public import Prometheus
public import ThaiyyalCore
public import ThaiyyalStore
public import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// Everything `thaiyyal serve` needs to start, with defaults that need no flags.
///
/// Sources apply in order, each overriding the one before: these defaults, a YAML file
/// (``load(file:environment:)``, shaped like `docs/config.example.yaml`), `THAIYYAL_*`
/// environment variables, then command-line flags (applied by the executable).
public struct ServerConfiguration: Sendable {
  /// Where the database, the socket and key files live. Default `./data`.
  public var dataDirectory: String = "./data"
  /// The Unix socket path; `nil` means `<dataDirectory>/thaiyyal.sock`.
  public var socketPath: String?
  /// `HOST:PORT` to also listen on TCP; `nil` means no TCP listener.
  public var tcpAddress: String?
  /// Transport limits and timeouts.
  public var transport = TTRPCServerConfiguration()
  /// How SQLite syncs to disk: `full` (default; acknowledged writes survive power loss) or `normal`.
  public var synchronous: StoreConfiguration.Synchronous = .full
  /// A PostgreSQL database to serve from instead of the SQLite file under the data directory
  /// (`database.url`, `THAIYYAL_DATABASE_URL`, `--database-url`).
  public var databaseURL: PostgresURL?
  /// PostgreSQL connections (and transactions at once) at most.
  public var databaseMaxConnections = 8

  /// How long a server trusts what it cached of tenants and users (status, plan, token
  /// generation). Alone on its SQLite file it makes every change itself and forgets the entry at
  /// once, so entries may live long. Beside other servers on PostgreSQL it learns of their changes
  /// only by reading again: a suspended tenant, a deleted user or a revoked token takes effect on
  /// every server within this second.
  public var directoryLifetime: Duration {
    databaseURL == nil ? .seconds(30) : .seconds(1)
  }
  /// Unix user ids whose Unix-socket connections act as the platform operator. Default: the uid the
  /// server runs as.
  public var operatorUIDs: Set<UInt32> = [getuid()]
  /// The HMAC secret for tokens; `nil` uses (and creates) `<dataDirectory>/jwt.key`.
  public var jwtSecret: String?
  /// How long an access token lives.
  public var tokenLifetime: Duration = .seconds(3600)
  /// log2 of scrypt's cost N for new password hashes (14 = 16 MiB and tens of milliseconds per
  /// hash). Stored with each hash, so raising it later upgrades hashes at the next login.
  public var passwordHashCost: Int = 14
  /// Failed logins in a row from one source (peer address or uid) before that source is locked out
  /// of the account; other sources can still sign in.
  public var maxFailedLogins: Int64 = 5
  /// Failed logins in a row from any sources before the account itself is locked.
  public var accountLockoutFailures: Int64 = 20
  /// How long a lockout lasts.
  public var lockout: Duration = .seconds(15 * 60)
  /// Calls without valid credentials one peer may make per second (sustained, and at once); see
  /// ``PeerLimitInterceptor``.
  public var anonymousCallsPerSecond: Int = 50
  public var anonymousBurst: Int = 100
  /// Password checks (logins, password changes) waiting for the hashing thread at once; more are
  /// refused at once instead of queuing.
  public var maxPendingPasswordChecks: Int = 16
  /// The wall clock for expiry and lockouts; tests inject their own.
  public var clock: WallClock = .system
  /// Default limits of every plan.
  public var plans: PlanCatalog = .standard
  /// Executions running at once across all tenants.
  ///
  /// Twice the cores by default: runs are CPU-bound and one tenant holds at most half the workers
  /// (``ExecutionScheduler``), so a tenant whose runs take their whole time limit still leaves
  /// workers to the others while its own runs keep every core busy.
  public var executionWorkers: Int = 2 * ProcessInfo.processInfo.activeProcessorCount
  /// At start-up, put executions a crash left pending or running back in the queue instead of
  /// marking them failed (`interrupted`).
  public var requeueInterruptedExecutions = false
  /// Beside other servers on PostgreSQL: how long an execution stays this server's without
  /// renewal (renewed every third of it). When a server dies, another takes its unfinished
  /// executions over once this has passed (`executions.lease_seconds`).
  public var executionLease: Duration = .seconds(15)
  /// How often finished executions past their plan's retention are pruned.
  public var retentionInterval: Duration = .seconds(3600)
  /// Executions deleted per transaction when pruning, so no write lock is held for long.
  public var retentionBatchSize = 500
  /// Sees every SQL statement; for tests that check tenant scoping.
  public var statementObserver: (@Sendable (String) -> Void)?
  /// Minimum level logged.
  public var logLevel: Logger.Level = .info
  /// `json` (one object a line), `text`, or `auto` (text on a terminal, else JSON).
  public var logFormat: LogFormat = .auto
  /// The log file (`observability.logging.output`); standard error when `nil` or `stderr`. The
  /// server reopens it on SIGHUP, so logrotate can move it away.
  public var logOutput: String?
  /// Whether the server serves several organisations (`multi_tenant.enabled`, the default), or
  /// one: then every call acts in ``defaultTenant``, which no call needs to name, and which the
  /// server creates at start when it is missing.
  public var multiTenant = true
  /// The organisation's tenant when ``multiTenant`` is off (`multi_tenant.default_tenant`).
  public var defaultTenant = "default"

  /// The tenant every call acts in, when the server serves one organisation.
  public var singleTenant: String? { multiTenant ? nil : defaultTenant }

  /// `HOST:PORT` of the operator's HTTP endpoint (`/metrics`, `/healthz`, `/readyz`); off when
  /// `nil`. Port 0 picks a free one.
  public var observabilityAddress: String?
  /// Where the process's swift-metrics go (set by `thaiyyal serve`, which bootstraps the metrics
  /// system with it); `/metrics` renders it. Without one, `/metrics` has only what is read at
  /// scrape time.
  public var metricsRegistry: PrometheusCollectorRegistry?

  public enum LogFormat: String, Sendable, CaseIterable {
    case auto, json, text
  }

  public init() {}

  /// The socket path in force.
  public var effectiveSocketPath: String {
    socketPath ?? (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/")
      + "thaiyyal.sock"
  }

  /// The database file: `<dataDirectory>/thaiyyal.db`.
  public var databasePath: String {
    (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/") + "thaiyyal.db"
  }

  /// The addresses to listen on: the Unix socket always, TCP when configured.
  public func listenAddresses() throws -> [BindAddress] {
    var addresses: [BindAddress] = [.unixDomainSocket(path: effectiveSocketPath)]
    if let tcpAddress, !tcpAddress.isEmpty {
      addresses.append(try BindAddress.parseTCP(tcpAddress))
    }
    return addresses
  }

  /// Checks limits a typo could make dangerous.
  public func validate() throws(ConfigurationError) {
    guard executionLease >= .seconds(1) else {
      throw ConfigurationError("executions.lease_seconds must be at least 1")
    }
    guard (1 ... 512).contains(databaseMaxConnections) else {
      throw ConfigurationError("database.max_connections must be between 1 and 512")
    }
    let transport = self.transport
    guard (1024 ... FrameHeader.defaultMaxMessageSize).contains(transport.maxMessageSize) else {
      throw ConfigurationError(
        "limits.max_message_size must be between 1024 and \(FrameHeader.defaultMaxMessageSize)"
      )
    }
    guard transport.maxConnections >= 1, transport.maxUnixConnections >= 1,
      transport.maxConnectionsPerAddress >= 1
    else {
      throw ConfigurationError(
        "limits.max_connections, max_unix_connections and max_connections_per_address must be at least 1"
      )
    }
    guard transport.maxConcurrentCallsPerConnection >= 1 else {
      throw ConfigurationError("limits.max_concurrent_calls_per_connection must be at least 1")
    }
    guard transport.idleTimeout > .zero, transport.frameTimeout > .zero,
      transport.drainTimeout >= .zero
    else {
      throw ConfigurationError(
        "limits.idle_timeout_seconds and frame_timeout_seconds must be positive and drain_timeout_seconds not negative"
      )
    }
    guard Slug.isValid(defaultTenant) else {
      throw ConfigurationError(
        "multi_tenant.default_tenant must be a tenant slug: 3 to 63 lower-case letters, digits and single dashes"
      )
    }
    guard (10 ... 20).contains(passwordHashCost) else {
      throw ConfigurationError("security.password_hash_cost must be between 10 and 20")
    }
    guard maxFailedLogins >= 1, accountLockoutFailures >= maxFailedLogins, lockout >= .zero,
      tokenLifetime > .zero
    else {
      throw ConfigurationError(
        "security: max_failed_logins, lockout_seconds and token_lifetime_seconds must be positive, and account_lockout_failures at least max_failed_logins"
      )
    }
    guard anonymousCallsPerSecond >= 1, anonymousBurst >= 1, maxPendingPasswordChecks >= 1 else {
      throw ConfigurationError(
        "security: anonymous_calls_per_second, anonymous_burst and max_pending_password_checks must be positive"
      )
    }
    guard (1 ... 1024).contains(executionWorkers), retentionInterval > .zero,
      (1 ... 100_000).contains(retentionBatchSize)
    else {
      throw ConfigurationError(
        "executions: workers must be 1 to 1024, retention_interval_seconds positive and retention_batch_size 1 to 100000"
      )
    }
    guard effectiveSocketPath.utf8.count <= 107 else {
      throw ConfigurationError("socket path is longer than 107 bytes: \(effectiveSocketPath)")
    }
    if let tcpAddress {
      do { _ = try BindAddress.parseTCP(tcpAddress) } catch {
        throw ConfigurationError("listen.tcp: \(error)")
      }
    }
  }
}

/// A configuration problem, reported before the server starts.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
