import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import ThaiyyalServer
import ThaiyyalTransport
import UnixSignals

/// `thaiyyal serve`: runs the server until SIGINT or SIGTERM, then drains and exits 0.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the server (Unix socket under the data directory; TCP when asked for)."
  )

  @Option(help: "Directory for the database, socket and keys (default ./data).")
  var dataDir: String?

  @Option(help: "Unix socket path (default DATA_DIR/thaiyyal.sock).")
  var socket: String?

  @Flag(
    help:
      "Listen on the per-user socket client commands also look for ($XDG_RUNTIME_DIR/thaiyyal/thaiyyal.sock)."
  )
  var userSocket = false

  @Option(help: "Also listen on TCP at HOST:PORT, e.g. 127.0.0.1:7480.")
  var tcp: String?

  @Option(
    help:
      "PostgreSQL database to serve from, postgres://USER@HOST:PORT/DB (default: SQLite under DATA_DIR)."
  )
  var databaseURL: String?

  @Option(help: "YAML configuration file (see docs/config.example.yaml).")
  var config: String?

  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String?

  @Option(help: "Log format: auto (text on a terminal, else JSON), json or text.")
  var logFormat: String?

  @Option(help: "Write the log to this file (reopened on SIGHUP) instead of standard error.")
  var logOutput: String?

  @Option(
    help:
      "Serve /metrics, /healthz and /readyz over HTTP at HOST:PORT, e.g. 127.0.0.1:9464 (off by default; no authentication: keep it local)."
  )
  var http: String?

  func validate() throws {
    if socket != nil && userSocket {
      throw ValidationError("use either --socket or --user-socket, not both")
    }
  }

  func run() async throws {
    let configuration: ServerConfiguration
    do {
      var loaded = try ServerConfiguration.load(
        file: config,
        environment: ProcessInfo.processInfo.environment
      )
      if let dataDir { loaded.dataDirectory = dataDir }
      if let socket { loaded.socketPath = socket }
      if userSocket {
        let path = ServerDiscovery.userSocket
        try FileManager.default.createDirectory(
          atPath: (path as NSString).deletingLastPathComponent,
          withIntermediateDirectories: true,
          attributes: [.posixPermissions: 0o700]
        )
        loaded.socketPath = path
      }
      if let tcp { loaded.tcpAddress = tcp }
      if let inherited = Self.activatedSocket() {
        loaded.socketPath = inherited.path
        loaded.transport.inheritedUnixSocket = inherited
      }
      var flags: [String: String] = [:]
      flags["THAIYYAL_DATABASE_URL"] = databaseURL
      flags["THAIYYAL_LOG_LEVEL"] = logLevel
      flags["THAIYYAL_LOG_FORMAT"] = logFormat
      flags["THAIYYAL_HTTP"] = http
      flags["THAIYYAL_LOG_OUTPUT"] = logOutput
      try loaded.apply(environment: flags)
      try loaded.validate()
      // The process's metrics go to one Prometheus registry, which /metrics renders.
      let registry = PrometheusCollectorRegistry()
      MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
      loaded.metricsRegistry = registry
      configuration = loaded
    } catch {
      printError("error: \(error)")
      throw ExitCode(2)
    }

    let sink: LogSink
    do {
      sink = try LogSink(path: configuration.logOutput, level: configuration.logLevel)
    } catch {
      printError("error: \(error)")
      throw ExitCode(2)
    }
    LoggingSystem.bootstrap(format: configuration.logFormat, sink: sink)
    let logger = Logger(label: "thaiyyal")
    let reloads = Task { [config] in
      await Self.reloadOnHangup(sink: sink, config: config, logger: logger)
    }
    defer { reloads.cancel() }
    let application: ServerApplication
    do {
      application = try await ServerApplication(configuration: configuration, logger: logger)
    } catch {
      logger.critical("cannot start", metadata: ["error": "\(error)"])
      throw ExitCode(1)
    }
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [
          .init(service: application, successTerminationBehavior: .gracefullyShutdownGroup)
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
      )
    )
    do {
      try await group.run()
    } catch {
      logger.critical("server stopped", metadata: ["error": "\(error)"])
      throw ExitCode(1)
    }
  }
}

extension ServeCommand {
  /// systemd socket activation (`sd_listen_fds`): when `LISTEN_PID` is this process and
  /// `LISTEN_FDS` is at least 1, descriptor 3 is a listening Unix socket to serve at its own path.
  /// The variables are removed, so nothing this process starts inherits them.
  static func activatedSocket() -> TTRPCServerConfiguration.InheritedSocket? {
    let environment = ProcessInfo.processInfo.environment
    guard let pid = environment["LISTEN_PID"].flatMap({ Int32($0) }), pid == getpid(),
      let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1
    else { return nil }
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
    let descriptor: Int32 = 3
    var address = sockaddr_un()
    var length = socklen_t(MemoryLayout<sockaddr_un>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
    let path = withUnsafeBytes(of: &address.sun_path) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    guard !path.isEmpty else { return nil }
    _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    return TTRPCServerConfiguration.InheritedSocket(descriptor: descriptor, path: path)
  }

  /// On SIGHUP: reopens the log file (after logrotate moved it) and applies the configuration
  /// file's log level again, so the level can change without a restart.
  static func reloadOnHangup(sink: LogSink, config: String?, logger: Logger) async {
    for await _ in await UnixSignalsSequence(trapping: .sighup) {
      do {
        try sink.reopen()
        if let config {
          let reloaded = try ServerConfiguration.load(
            file: config,
            environment: ProcessInfo.processInfo.environment
          )
          sink.level = reloaded.logLevel
        }
        logger.notice("reloaded on SIGHUP", metadata: ["log_level": "\(sink.level)"])
      } catch {
        logger.error("reload on SIGHUP failed", metadata: ["error": "\(error)"])
      }
    }
  }
}

extension LoggingSystem {
  /// Installs the process's log handler: JSON lines for collectors, text on a terminal.
  static func bootstrap(format: ServerConfiguration.LogFormat, sink: LogSink) {
    let json = format == .json || (format == .auto && !sink.isTerminal)
    bootstrap { label -> any LogHandler in
      json ? JSONLogHandler(label: label, sink: sink) : TextLogHandler(label: label, sink: sink)
    }
  }
}

func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}
