import Foundation
import Logging
public import ThaiyyalStore

/// A PostgreSQL database of one test's own, in the throwaway cluster `scripts/with-postgres`
/// starts (it exports `THAIYYAL_TEST_POSTGRES`, the cluster's socket directory).
///
/// The database is new and migrated by the schema owner; the server's role, `thaiyyal_server`,
/// is a member of `thaiyyal_app` and owns nothing, as in a real installation.
public struct TestPostgresDatabase: Sendable {
  public let name: String
  public let socketDirectory: String

  /// The cluster's socket directory, or `nil` when no cluster was started for this run.
  public static var socketDirectory: String? {
    let value = ProcessInfo.processInfo.environment["THAIYYAL_TEST_POSTGRES"] ?? ""
    return value.isEmpty ? nil : value
  }

  /// Whether this run has a cluster. Under CI (`CI` set) it must: a test in
  /// `PostgresBackendTests` fails when it does not, so the PostgreSQL suites are never skipped
  /// silently there.
  public static var available: Bool { socketDirectory != nil }

  /// As the server connects: a login member of `thaiyyal_app`.
  public var serverURL: PostgresURL { url(user: "thaiyyal_server") }
  /// As migrations run: the schema's owner.
  public var ownerURL: PostgresURL { url(user: "thaiyyal_owner") }

  /// As `user`.
  public func url(user: String) -> PostgresURL {
    PostgresURL(
      endpoint: .unixSocket(directory: socketDirectory, port: 5432),
      username: user,
      password: nil,
      database: name
    )
  }

  /// An existing database of the cluster.
  public init(name: String, socketDirectory: String) {
    self.name = name
    self.socketDirectory = socketDirectory
  }

  /// Makes and migrates a fresh database.
  public static func make() async throws -> TestPostgresDatabase {
    guard let socketDirectory else {
      throw TestPostgresError("no PostgreSQL cluster: run the tests under scripts/with-postgres")
    }
    let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    try psql(
      socketDirectory,
      """
      CREATE DATABASE \(name) OWNER thaiyyal_owner TEMPLATE thaiyyal_template;
      """
    )
    let database = TestPostgresDatabase(name: name, socketDirectory: socketDirectory)
    var logger = Logger(label: "test.postgres")
    logger.logLevel = .warning
    _ = try await PostgresStore.migrate(url: database.ownerURL, logger: logger)
    return database
  }

  /// Drops the database, closing whatever connections are left.
  public func drop() {
    _ = try? Self.psql(socketDirectory, "DROP DATABASE IF EXISTS \(name) WITH (FORCE);")
  }

  /// Runs SQL as the superuser `postgres`, with psql, in database `database`.
  @discardableResult
  public static func psql(
    _ socketDirectory: String,
    _ sql: String,
    database: String = "postgres",
    user: String = "postgres"
  ) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "psql", "-h", socketDirectory, "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1",
      "-qAt", "-c", sql,
    ]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    let complaint = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw TestPostgresError(
        "psql failed: \(String(decoding: complaint, as: UTF8.self))"
      )
    }
    return String(decoding: printed, as: UTF8.self)
  }

  /// Runs SQL in this database as `user`.
  @discardableResult
  public func psql(_ sql: String, user: String = "postgres") throws -> String {
    try Self.psql(socketDirectory, sql, database: name, user: user)
  }
}

public struct TestPostgresError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
