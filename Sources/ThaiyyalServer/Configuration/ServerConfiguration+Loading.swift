import Foundation
import Logging
import ThaiyyalCore
import ThaiyyalStore
import ThaiyyalTransport
import Yams

extension ServerConfiguration {
  /// Applies a YAML file and then `THAIYYAL_*` environment variables over the defaults.
  ///
  /// Unknown keys are errors, so a misspelt setting never silently falls back to a default.
  ///
  /// - Throws: ``ConfigurationError`` naming the file and key.
  public static func load(
    file: String?,
    environment: [String: String]
  ) throws -> ServerConfiguration {
    var configuration = ServerConfiguration()
    if let file {
      let text: String
      do {
        text = try String(contentsOfFile: file, encoding: .utf8)
      } catch {
        throw ConfigurationError("cannot read configuration file \(file)")
      }
      try configuration.apply(yaml: text, source: file)
    }
    try configuration.apply(environment: environment)
    try configuration.validate()
    return configuration
  }

  /// Applies the settings of a YAML document.
  public mutating func apply(yaml text: String, source: String = "configuration") throws {
    let document: Any?
    do {
      document = try Yams.load(yaml: text)
    } catch {
      throw ConfigurationError("\(source) is not valid YAML")
    }
    guard let document else { return }
    guard let root = document as? [String: Any] else {
      throw ConfigurationError("\(source): the top level must be a mapping")
    }
    let reader = YAMLReader(source: source)
    try reader.section(
      root,
      path: "",
      allowed: [
        "data_dir", "listen", "limits", "log", "database", "security", "plans", "executions",
        "observability", "multi_tenant",
      ]
    ) {
      key,
      value in
      switch key {
      case "data_dir": dataDirectory = try reader.string(value, "data_dir")
      case "multi_tenant":
        try reader.section(
          value,
          path: "multi_tenant.",
          allowed: ["enabled", "default_tenant"]
        ) { key, value in
          switch key {
          case "enabled":
            guard let flag = value as? Bool else {
              throw ConfigurationError("\(source): multi_tenant.enabled must be true or false")
            }
            multiTenant = flag
          default: defaultTenant = try reader.string(value, "multi_tenant.default_tenant")
          }
        }
      case "listen":
        try reader.section(value, path: "listen.", allowed: ["socket", "tcp"]) { key, value in
          switch key {
          case "socket": socketPath = try reader.string(value, "listen.socket")
          default: tcpAddress = try reader.string(value, "listen.tcp")
          }
        }
      case "limits":
        try reader.section(
          value,
          path: "limits.",
          allowed: [
            "max_message_size", "max_connections", "max_concurrent_calls_per_connection",
            "idle_timeout_seconds", "drain_timeout_seconds", "max_unix_connections",
            "max_connections_per_address", "frame_timeout_seconds",
          ]
        ) { key, value in
          let number = try reader.int(value, "limits.\(key)")
          switch key {
          case "max_message_size": transport.maxMessageSize = number
          case "max_connections": transport.maxConnections = number
          case "max_concurrent_calls_per_connection":
            transport.maxConcurrentCallsPerConnection = number
          case "idle_timeout_seconds": transport.idleTimeout = .seconds(number)
          case "max_unix_connections": transport.maxUnixConnections = number
          case "max_connections_per_address": transport.maxConnectionsPerAddress = number
          case "frame_timeout_seconds": transport.frameTimeout = .seconds(number)
          default: transport.drainTimeout = .seconds(number)
          }
        }
      case "database":
        try reader.section(
          value,
          path: "database.",
          allowed: ["synchronous", "url", "max_connections"]
        ) { key, value in
          switch key {
          case "url":
            databaseURL = try Self.parseDatabaseURL(
              try reader.string(value, "database.url"),
              source: "\(source): database.url"
            )
          case "max_connections":
            databaseMaxConnections = try reader.int(value, "database.max_connections")
          default:
            let text = try reader.string(value, "database.synchronous")
            guard let mode = StoreConfiguration.Synchronous(rawValue: text.uppercased()) else {
              throw ConfigurationError("\(source): database.synchronous must be full or normal")
            }
            synchronous = mode
          }
        }
      case "security":
        try reader.section(
          value,
          path: "security.",
          allowed: [
            "operator_uids", "jwt_secret", "token_lifetime_seconds", "max_failed_logins",
            "lockout_seconds", "password_hash_cost", "account_lockout_failures",
            "anonymous_calls_per_second", "anonymous_burst", "max_pending_password_checks",
          ]
        ) { key, value in
          switch key {
          case "operator_uids":
            guard let list = value as? [Any],
              list.allSatisfy({ ($0 as? Int).map { $0 >= 0 && $0 <= Int(UInt32.max) } ?? false })
            else {
              throw ConfigurationError(
                "\(source): security.operator_uids must be a list of user ids"
              )
            }
            operatorUIDs = Set(list.map { UInt32($0 as! Int) })
          case "jwt_secret": jwtSecret = try reader.string(value, "security.jwt_secret")
          case "token_lifetime_seconds":
            tokenLifetime = .seconds(try reader.int(value, "security.\(key)"))
          case "max_failed_logins":
            maxFailedLogins = Int64(try reader.int(value, "security.\(key)"))
          case "password_hash_cost":
            passwordHashCost = try reader.int(value, "security.\(key)")
          case "account_lockout_failures":
            accountLockoutFailures = Int64(try reader.int(value, "security.\(key)"))
          case "anonymous_calls_per_second":
            anonymousCallsPerSecond = try reader.int(value, "security.\(key)")
          case "anonymous_burst": anonymousBurst = try reader.int(value, "security.\(key)")
          case "max_pending_password_checks":
            maxPendingPasswordChecks = try reader.int(value, "security.\(key)")
          default: lockout = .seconds(try reader.int(value, "security.\(key)"))
          }
        }
      case "executions":
        try reader.section(
          value,
          path: "executions.",
          allowed: [
            "workers", "requeue_interrupted", "retention_interval_seconds", "retention_batch_size",
            "lease_seconds",
          ]
        ) { key, value in
          switch key {
          case "requeue_interrupted":
            guard let flag = value as? Bool else {
              throw ConfigurationError(
                "\(source): executions.requeue_interrupted must be true or false"
              )
            }
            requeueInterruptedExecutions = flag
          case "workers": executionWorkers = try reader.int(value, "executions.\(key)")
          case "retention_batch_size":
            retentionBatchSize = try reader.int(value, "executions.\(key)")
          case "lease_seconds":
            executionLease = .seconds(try reader.int(value, "executions.\(key)"))
          default: retentionInterval = .seconds(try reader.int(value, "executions.\(key)"))
          }
        }
      case "plans":
        try reader.section(value, path: "plans.", allowed: Set(Plan.allCases.map(\.rawValue))) {
          planName,
          value in
          let plan = Plan(rawValue: planName)!
          let names = PlanLimitNames.all
          try reader.section(value, path: "plans.\(planName).", allowed: Set(names.keys)) {
            key,
            value in
            let number = try reader.int(value, "plans.\(planName).\(key)")
            guard number >= -1 else {
              throw ConfigurationError(
                "\(source): plans.\(planName).\(key) must be -1 (unlimited) or more"
              )
            }
            plans.limits[plan, default: PlanLimits()][keyPath: names[key]!] = Int64(number)
          }
        }
      case "observability":
        try reader.section(value, path: "observability.", allowed: ["http", "logging"]) {
          key,
          value in
          if key == "http" {
            observabilityAddress = try Self.parseHTTPAddress(
              try reader.string(value, "observability.http"),
              source: "\(source): observability.http"
            )
            return
          }
          try reader.section(value, path: "observability.logging.", allowed: ["output"]) {
            _,
            value in
            logOutput = Self.logOutput(try reader.string(value, "observability.logging.output"))
          }
        }
      default:
        try reader.section(value, path: "log.", allowed: ["level", "format"]) { key, value in
          let text = try reader.string(value, "log.\(key)")
          if key == "level" {
            logLevel = try Self.parseLogLevel(text, source: "\(source): log.level")
          } else {
            logFormat = try Self.parseLogFormat(text, source: "\(source): log.format")
          }
        }
      }
    }
  }

  /// Applies `THAIYYAL_DATA_DIR`, `THAIYYAL_SOCKET`, `THAIYYAL_ADDRESS`, `THAIYYAL_DATABASE_URL`,
  /// `THAIYYAL_LOG_LEVEL` and `THAIYYAL_LOG_FORMAT`.
  public mutating func apply(environment: [String: String]) throws {
    if let value = environment["THAIYYAL_EXECUTION_LEASE_SECONDS"], !value.isEmpty {
      guard let seconds = Int(value), seconds > 0 else {
        throw ConfigurationError("THAIYYAL_EXECUTION_LEASE_SECONDS must be a positive number")
      }
      executionLease = .seconds(seconds)
    }
    if let value = environment["THAIYYAL_DATABASE_URL"], !value.isEmpty {
      databaseURL = try Self.parseDatabaseURL(value, source: "THAIYYAL_DATABASE_URL")
    }
    if let value = environment["THAIYYAL_DATA_DIR"], !value.isEmpty { dataDirectory = value }
    if let value = environment["THAIYYAL_MULTI_TENANT"], !value.isEmpty {
      guard let flag = Bool(value.lowercased()) else {
        throw ConfigurationError("THAIYYAL_MULTI_TENANT must be true or false")
      }
      multiTenant = flag
    }
    if let value = environment["THAIYYAL_DEFAULT_TENANT"], !value.isEmpty { defaultTenant = value }
    if let value = environment["THAIYYAL_SOCKET"], !value.isEmpty { socketPath = value }
    if let value = environment["THAIYYAL_ADDRESS"], !value.isEmpty { tcpAddress = value }
    if let value = environment["THAIYYAL_LOG_LEVEL"], !value.isEmpty {
      logLevel = try Self.parseLogLevel(value, source: "THAIYYAL_LOG_LEVEL")
    }
    if let value = environment["THAIYYAL_JWT_SECRET"], !value.isEmpty { jwtSecret = value }
    if let value = environment["THAIYYAL_LOG_OUTPUT"], !value.isEmpty {
      logOutput = Self.logOutput(value)
    }
    if let value = environment["THAIYYAL_HTTP"], !value.isEmpty {
      observabilityAddress = try Self.parseHTTPAddress(value, source: "THAIYYAL_HTTP")
    }
    if let value = environment["THAIYYAL_LOG_FORMAT"], !value.isEmpty {
      logFormat = try Self.parseLogFormat(value, source: "THAIYYAL_LOG_FORMAT")
    }
  }

  /// A log file path; `stderr` (or `-`) is standard error.
  static func logOutput(_ text: String) -> String? {
    text == "stderr" || text == "-" ? nil : text
  }

  /// `HOST:PORT` for the observability endpoint (an IPv6 host in brackets).
  static func parseHTTPAddress(_ text: String, source: String) throws -> String {
    guard let (_, port) = splitHostPort(text), (0 ... 65535).contains(port) else {
      throw ConfigurationError("\(source): expected HOST:PORT, e.g. 127.0.0.1:9464")
    }
    return text
  }

  /// The host and port of `HOST:PORT` (`[::1]:9464` for IPv6).
  public static func splitHostPort(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...])
    else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { return nil }
    return (host, port)
  }

  /// A PostgreSQL URL; the error never repeats the URL, which may hold a password.
  static func parseDatabaseURL(_ text: String, source: String) throws -> PostgresURL {
    do {
      return try PostgresURL(parsing: text)
    } catch {
      throw ConfigurationError("\(source): \(error)")
    }
  }

  static func parseLogLevel(_ text: String, source: String) throws -> Logger.Level {
    guard let level = Logger.Level(rawValue: text.lowercased()) else {
      let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
      throw ConfigurationError("\(source): unknown log level '\(text)' (one of \(names))")
    }
    return level
  }

  static func parseLogFormat(_ text: String, source: String) throws -> LogFormat {
    guard let format = LogFormat(rawValue: text.lowercased()) else {
      throw ConfigurationError("\(source): unknown log format '\(text)' (auto, json or text)")
    }
    return format
  }
}

/// Reads typed values out of a loaded YAML tree with messages that name the key.
private struct YAMLReader {
  let source: String

  func section(
    _ value: Any,
    path: String,
    allowed: Set<String>,
    _ body: (String, Any) throws -> Void
  ) throws {
    guard let mapping = value as? [String: Any] else {
      throw ConfigurationError(
        "\(source): \(path.isEmpty ? "top level" : String(path.dropLast())) must be a mapping"
      )
    }
    for key in mapping.keys.sorted() {
      guard allowed.contains(key) else {
        throw ConfigurationError("\(source): unknown setting '\(path)\(key)'")
      }
      try body(key, mapping[key]!)
    }
  }

  func string(_ value: Any, _ key: String) throws -> String {
    if let string = value as? String { return string }
    throw ConfigurationError("\(source): \(key) must be a string")
  }

  func int(_ value: Any, _ key: String) throws -> Int {
    if let int = value as? Int { return int }
    throw ConfigurationError("\(source): \(key) must be an integer")
  }
}

/// The configuration names of plan limits.
enum PlanLimitNames {
  static let all: [String: any WritableKeyPath<PlanLimits, Int64?> & Sendable] = [
    "max_users": \.maxUsers,
    "max_workflows": \.maxWorkflows,
    "max_executions_per_day": \.maxExecutionsPerDay,
    "max_storage_bytes": \.maxStorageBytes,
    "max_nodes_per_workflow": \.maxNodesPerWorkflow,
    "max_execution_seconds": \.maxExecutionSeconds,
    "rate_limit_per_second": \.rateLimitPerSecond,
    "rate_limit_burst": \.rateLimitBurst,
    "max_concurrent_executions": \.maxConcurrentExecutions,
    "max_queued_executions": \.maxQueuedExecutions,
    "execution_retention_days": \.executionRetentionDays,
    "max_value_bytes": \.maxValueBytes,
    "max_run_memory_bytes": \.maxRunMemoryBytes,
    "max_result_bytes": \.maxResultBytes,
  ]
}
