import GRDB
import ThaiyyalCore

/// Applies embedded migrations in order, each in its own transaction, recording its SHA-256.
///
/// A migration already applied whose embedded text changed, or an applied migration this binary
/// does not know, is an error: the schema is history, never rewritten.
struct MigrationRunner {
  let migrations: [Migration]

  static let createTable = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
      identifier TEXT PRIMARY KEY NOT NULL,
      sha256 TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )
    """

  func status(_ db: Database) throws -> [MigrationStatus] {
    Migration.statuses(of: migrations, applied: try appliedMigrations(db))
  }

  /// Checks history, then applies what is pending. Returns the identifiers applied.
  func migrate(_ writer: any DatabaseWriter) throws -> [String] {
    let statuses = try writer.write { db in
      try db.execute(sql: Self.createTable)
      return try status(db)
    }
    try Migration.requireNoTampering(statuses)
    var applied: [String] = []
    for migration in migrations {
      guard
        statuses.contains(where: { $0.identifier == migration.identifier && $0.state == .pending })
      else { continue }
      try writer.write { db in
        try db.execute(sql: migration.sql)
        try db.execute(
          sql: "INSERT INTO schema_migrations (identifier, sha256, applied_at) VALUES (?, ?, ?)",
          arguments: [migration.identifier, migration.sha256, Int64(Clock.nowMilliseconds())]
        )
      }
      applied.append(migration.identifier)
    }
    return applied
  }

  private func appliedMigrations(
    _ db: Database
  ) throws -> [String: (sha256: String, appliedAt: Int64)] {
    guard try db.tableExists("schema_migrations") else { return [:] }
    var result: [String: (String, Int64)] = [:]
    for row in try Row.fetchAll(
      db,
      sql: "SELECT identifier, sha256, applied_at FROM schema_migrations"
    ) {
      result[row["identifier"]] = (row["sha256"], row["applied_at"])
    }
    return result
  }
}
