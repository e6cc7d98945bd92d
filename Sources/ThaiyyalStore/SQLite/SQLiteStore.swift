import Foundation
import GRDB
import ThaiyyalCore

/// The one entry point to the database: a `DatabasePool` in WAL mode, migrated on open.
///
/// Every write is one transaction (``write(_:)``); quota checks and the writes they guard, and the
/// audit entry of every mutation, happen inside it. Reads run concurrently (``read(_:)``).
/// GRDB types never leave this module.
///
/// ```swift
/// let store = try SQLiteStore(configuration: StoreConfiguration(path: "data/thaiyyal.db"))
/// let tenant = try await store.write { tx in try tx.tenants.create(...) }
/// ```
public final class SQLiteStore: Persistence {
  private let pool: DatabasePool
  public let path: String

  /// Opens (creating if needed) and migrates the database.
  ///
  /// - Throws: ``StoreError`` when a migration was tampered with or is unknown.
  public init(configuration: StoreConfiguration, migrate: Bool = true) throws {
    var config = Configuration()
    config.foreignKeysEnabled = true
    config.busyMode = .timeout(TimeInterval(configuration.busyTimeout.components.seconds))
    config.maximumReaderCount = max(1, configuration.maximumReaders)
    let synchronous = configuration.synchronous.rawValue
    let observer = configuration.statementObserver
    config.prepareDatabase { db in
      // Takes effect when the file is new (before any table exists): freed pages can then be
      // handed back to the file system a few at a time (``incrementalVacuum(pages:)``).
      if !db.configuration.readonly { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
      try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
      if let observer {
        db.trace(options: .statement) { event in
          if case .statement(let statement) = event { observer(statement.sql) }
        }
      }
    }
    do {
      try Self.restrictFiles(at: configuration.path)
      pool = try DatabasePool(path: configuration.path, configuration: config)
    } catch {
      throw StoreError.cannotOpen(path: configuration.path, reason: "\(error)")
    }
    path = configuration.path
    if migrate {
      _ = try MigrationRunner(migrations: embeddedMigrations).migrate(pool)
    }
  }

  /// Makes the database file (created empty if missing) and its `-wal` and `-shm` files readable
  /// by the owner alone. SQLite creates the `-wal` and `-shm` files with the database file's
  /// permissions, so a file created 0600 keeps all three private whatever the umask is.
  static func restrictFiles(at path: String) throws {
    let files = FileManager.default
    if !files.fileExists(atPath: path) {
      guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
      else {
        throw StoreError.cannotOpen(path: path, reason: "the file could not be created")
      }
    }
    for file in [path, path + "-wal", path + "-shm"] where files.fileExists(atPath: file) {
      try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
  }

  /// Applies pending migrations; returns the identifiers applied.
  public func migrate() throws -> [String] {
    try MigrationRunner(migrations: embeddedMigrations).migrate(pool)
  }

  /// Where every embedded migration stands.
  public func migrationStatus() throws -> [MigrationStatus] {
    try pool.read { db in
      try MigrationRunner(migrations: embeddedMigrations).status(db)
    }
  }

  /// Runs `body` in one write transaction; everything it does commits together or not at all.
  public func write<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    try await mapErrors {
      try await pool.write { db in try body(SQLTransaction(connection: GRDBConnection(db: db))) }
    }
  }

  /// Runs `body` in a read-only snapshot.
  public func read<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    try await mapErrors {
      try await pool.read { db in try body(SQLTransaction(connection: GRDBConnection(db: db))) }
    }
  }

  /// `PRAGMA integrity_check`: `ok` when the file is sound.
  public func integrityCheck() async throws -> String {
    try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
  }

  /// Frees pages a bounded number at a time, which keeps each write lock short. A file made
  /// before incremental auto-vacuum frees nothing this way; the loop stops when nothing moves.
  public func reclaimFreeSpace() async throws {
    var free = Int64.max
    while true {
      let left = try await incrementalVacuum(pages: 256)
      guard left > 0, left < free else { return }
      free = left
      await Task.yield()
    }
  }

  /// Gives up to `pages` free pages back to the file system, outside any long transaction.
  /// Returns the free pages left.
  @discardableResult
  public func incrementalVacuum(pages: Int) async throws -> Int64 {
    try await mapErrors {
      try await pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA incremental_vacuum(\(max(1, pages)))")
        return try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
      }
    }
  }

  /// The file's page count and free pages, for tests and operations.
  public func pageCounts() async throws -> (pages: Int64, free: Int64, autoVacuum: Int64) {
    try await pool.read { db in
      (
        try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0,
        try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0,
        try Int64.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0
      )
    }
  }

  /// One server owns the file: it needs no leases.
  public var leases: (any ExecutionLeases)? { nil }

  /// Closes every connection; later calls fail.
  public func close() throws {
    try pool.close()
  }

  private func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as DatabaseError {
      throw StoreFailure(error)
    }
  }
}

extension StoreFailure {
  init(_ error: DatabaseError) {
    self.init(description: "database error \(error.resultCode): \(error.message ?? "")")
  }
}
