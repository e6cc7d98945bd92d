import ArgumentParser
import Foundation
import Logging
import ThaiyyalServer
import ThaiyyalStore

/// `thaiyyal migrate [status]`: applies or lists schema migrations of a data directory's SQLite
/// file, or of a PostgreSQL database (`--database-url`, or `THAIYYAL_DATABASE_URL`).
///
/// Unlike the other client commands this one opens the database itself: migrations must be
/// inspectable and applicable when the server cannot start (which is when they matter most).
/// `serve` applies pending SQLite migrations at start-up as well; on PostgreSQL migrations run as
/// the schema's owner, a role the server never connects as, so only this command applies them.
struct MigrateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "migrate",
    abstract: "Apply pending schema migrations, or list them with 'status'."
  )

  @Argument(help: "'status' to list applied and pending migrations without applying any.")
  var action: Action = .apply

  @Option(help: "Data directory holding thaiyyal.db (default ./data, or THAIYYAL_DATA_DIR).")
  var dataDir: String?

  @Option(
    help: "PostgreSQL database to migrate, as the schema owner: postgres://OWNER@HOST:PORT/DB."
  )
  var databaseURL: String?

  enum Action: String, ExpressibleByArgument, CaseIterable {
    case apply, status
  }

  func run() async throws {
    if let text = databaseURL ?? ProcessInfo.processInfo.environment["THAIYYAL_DATABASE_URL"],
      !text.isEmpty
    {
      try await migratePostgres(text)
      return
    }
    let directory = dataDir ?? ProcessInfo.processInfo.environment["THAIYYAL_DATA_DIR"] ?? "./data"
    var configuration = ServerConfiguration()
    configuration.dataDirectory = directory
    let path = configuration.databasePath
    if action == .status && !FileManager.default.fileExists(atPath: path) {
      printError("no database at \(path): every migration is pending")
      throw ExitCode(1)
    }
    do {
      try FileManager.default.createDirectory(
        atPath: directory,
        withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700]
      )
      let store = try SQLiteStore(configuration: StoreConfiguration(path: path), migrate: false)
      defer { try? store.close() }
      if action == .apply {
        let applied = try store.migrate()
        print(applied.isEmpty ? "up to date" : "applied \(applied.joined(separator: ", "))")
      }
      Self.show(try store.migrationStatus())
    } catch let error as StoreError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }

  func migratePostgres(_ text: String) async throws {
    var logger = Logger(label: "thaiyyal.migrate")
    logger.logLevel = .warning
    do {
      let url = try PostgresURL(parsing: text)
      if action == .apply {
        let applied = try await PostgresStore.migrate(url: url, logger: logger)
        print(applied.isEmpty ? "up to date" : "applied \(applied.joined(separator: ", "))")
      }
      Self.show(try await PostgresStore.migrationStatus(url: url, logger: logger))
    } catch let error as StoreError {
      printError("error: \(error)")
      throw ExitCode(1)
    } catch {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }

  static func show(_ statuses: [MigrationStatus]) {
    for status in statuses {
      let state: String =
        switch status.state {
        case .applied(let at):
          "applied \(Date(timeIntervalSince1970: Double(at) / 1000).formatted(.iso8601))"
        case .pending: "pending"
        case .modified: "MODIFIED after it was applied"
        case .unknown: "UNKNOWN to this binary"
        }
      print("\(status.identifier)  \(state)")
    }
  }
}
