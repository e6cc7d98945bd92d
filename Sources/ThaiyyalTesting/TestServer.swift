import Foundation
import Logging
import ServiceLifecycle
public import ThaiyyalClient
import ThaiyyalRPC
public import ThaiyyalServer
import ThaiyyalStore
public import ThaiyyalTransport

/// Which database the test servers use: SQLite (the default) or, with
/// `THAIYYAL_TEST_BACKEND=postgres` under `scripts/with-postgres`, PostgreSQL. The test command
/// runs the server suites once with each.
public enum TestBackend: String, Sendable {
  case sqlite, postgres

  public static var current: TestBackend {
    ProcessInfo.processInfo.environment["THAIYYAL_TEST_BACKEND"].flatMap(TestBackend.init)
      ?? .sqlite
  }
}

/// How a test reaches the server.
public enum TestTransport: Sendable, CaseIterable, CustomStringConvertible {
  /// No sockets: calls go straight into the handler table, through every interceptor.
  case inProcess
  /// A real server on a temporary Unix socket.
  case unixSocket
  /// A real server on 127.0.0.1 with a port the kernel picks.
  case tcp

  public var description: String {
    switch self {
    case .inProcess: "in-process"
    case .unixSocket: "unix socket"
    case .tcp: "tcp"
    }
  }
}

/// A server started for one test, with its own temporary data directory.
public struct TestServer: Sendable {
  public let application: ServerApplication
  /// Where the real listeners are; empty for ``TestTransport/inProcess``.
  public let addresses: [BindAddress]
  public let dataDirectory: String
  public let transport: TestTransport

  /// The address the test's transport uses.
  public var address: BindAddress? {
    switch transport {
    case .inProcess: nil
    case .unixSocket: addresses.first { if case .unixDomainSocket = $0 { true } else { false } }
    case .tcp: addresses.first { if case .tcp = $0 { true } else { false } }
    }
  }

  /// A new client with its own connection.
  ///
  /// - Parameters:
  ///   - remote: For ``TestTransport/inProcess``: appear as a TCP peer, which is never trusted as
  ///     the operator, instead of an in-process caller, which is.
  ///   - peerAddress: The TCP address a remote in-process client appears to call from.
  public func makeClient(
    token: String? = nil,
    tenant: String? = nil,
    remote: Bool = false,
    peerAddress: String = "192.0.2.1:50000"
  ) -> ThaiyyalClient {
    switch transport {
    case .inProcess:
      ThaiyyalClient(
        transport: InProcessTransport(
          table: application.handlerTable,
          peer: remote ? .tcp(address: peerAddress) : .inProcess
        ),
        token: token,
        tenant: tenant
      )
    case .unixSocket, .tcp:
      ThaiyyalClient(connectingTo: address!, token: token, tenant: tenant)
    }
  }
}

/// Runs `body` against a fresh server, then shuts the server down gracefully and deletes its data.
///
/// ```swift
/// try await withTestServer(.unixSocket) { server in
///   let client = server.makeClient()
///   #expect(try await client.health.check().status == .serving)
/// }
/// ```
///
/// - Parameters:
///   - transport: How the test reaches the server.
///   - configure: Adjusts the configuration (limits, timeouts) before start.
public func withTestServer<T: Sendable>(
  _ transport: TestTransport = .unixSocket,
  configure: (inout ServerConfiguration) -> Void = { _ in },
  _ body: (TestServer) async throws -> T
) async throws -> T {
  let directory = try TemporaryDirectory()
  defer { directory.remove() }
  var configuration = ServerConfiguration()
  configuration.dataDirectory = directory.path
  configuration.socketPath = directory.path + "/s.sock"
  if transport == .tcp { configuration.tcpAddress = "127.0.0.1:0" }
  // In-process calls act as the operator, as a Unix-socket client of the same uid would.
  configuration.operatorUIDs.insert(UInt32.max)
  configuration.synchronous = .normal
  // Cheap password hashes keep the suite fast; the cost itself is covered by the hasher's tests.
  configuration.passwordHashCost = 10
  let auditor = TenantScopingAuditor()
  configuration.statementObserver = { auditor.observe($0) }
  // Under THAIYYAL_TEST_BACKEND=postgres every test server gets a database of its own.
  let postgres = TestBackend.current == .postgres ? try await TestPostgresDatabase.make() : nil
  defer { postgres?.drop() }
  if let postgres {
    configuration.databaseURL = postgres.serverURL
    // Many test servers share one cluster at once.
    configuration.databaseMaxConnections = 4
  }
  configure(&configuration)
  var logger = Logger(label: "thaiyyal.test")
  logger.logLevel =
    ProcessInfo.processInfo.environment["THAIYYAL_TEST_LOG"] == "1" ? .debug : .critical
  let application = try await ServerApplication(configuration: configuration, logger: logger)

  // Every transport runs the whole application (recovery, workers, retention, listeners), as
  // `serve` does; in-process calls then go straight to its handler table.
  let group = ServiceGroup(services: [application], logger: logger)
  return try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    let result: Result<T, any Error>
    do {
      let addresses = try await application.listeningAddresses()
      let server = TestServer(
        application: application,
        addresses: transport == .inProcess ? [] : addresses,
        dataDirectory: directory.path,
        transport: transport
      )
      result = .success(try await body(server))
    } catch {
      result = .failure(error)
    }
    if transport == .inProcess { await application.stopExecutions(grace: .zero) }
    await group.triggerGracefulShutdown()
    try await tasks.waitForAll()
    try auditor.check()
    return try result.get()
  }
}

/// A short-lived directory under /tmp with a short path (Unix socket paths must fit in 107 bytes).
public struct TemporaryDirectory: Sendable {
  public let path: String

  public init() throws {
    var template = Array("/tmp/thy-XXXXXX".utf8CString)
    guard let pointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw RPCError(.internalError, "cannot create a temporary directory")
    }
    path = String(cString: pointer)
  }

  public func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}

extension TenantScopingAuditor {
  /// Throws when any statement missed its tenant predicate.
  func check() throws {
    let violations = self.violations
    guard violations.isEmpty else {
      throw UnscopedQueries(statements: violations)
    }
  }
}

/// Statements over tenant-owned tables that did not bind `tenant_id`.
public struct UnscopedQueries: Error, CustomStringConvertible {
  public let statements: [String]
  public var description: String {
    "queries over tenant-owned tables without a tenant_id predicate:\n"
      + statements.joined(separator: "\n")
  }
}
