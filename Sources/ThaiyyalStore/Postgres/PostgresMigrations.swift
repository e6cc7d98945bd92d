import Foundation
public import Logging
import ThaiyyalCore

/// The PostgreSQL schema's history: the embedded files of `migrations/postgres`, applied in order,
/// each in its own transaction, as the schema's owner.
enum PostgresMigrations {
  static let createTable = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
      identifier TEXT PRIMARY KEY,
      sha256 TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )
    """

  static func status(_ session: PostgresSession) throws -> [MigrationStatus] {
    let exists = try session.fetchRow(
      "SELECT (to_regclass('public.schema_migrations') IS NOT NULL)::int AS present",
      []
    )
    var applied: [String: (sha256: String, appliedAt: Int64)] = [:]
    if let exists, exists["present"] as Bool {
      for row in try session.fetchRows(
        "SELECT identifier, sha256, applied_at FROM schema_migrations",
        []
      ) {
        applied[row["identifier"]] = (row["sha256"], row["applied_at"])
      }
    }
    return Migration.statuses(of: embeddedPostgresMigrations, applied: applied)
  }

  /// Applies what is pending after checking history; returns the identifiers applied.
  static func migrate(_ session: PostgresSession) throws -> [String] {
    try session.execute(createTable)
    let statuses = try status(session)
    try Migration.requireNoTampering(statuses)
    var applied: [String] = []
    for migration in embeddedPostgresMigrations
    where statuses.contains(where: { $0.identifier == migration.identifier && $0.state == .pending }
    ) {
      try session.execute("BEGIN")
      do {
        for statement in statements(of: migration.sql) { try session.execute(statement) }
        try session.transaction(writes: true).run(
          "INSERT INTO schema_migrations (identifier, sha256, applied_at) VALUES (?, ?, ?)",
          [migration.identifier, migration.sha256, Int64(Clock.nowMilliseconds())]
        )
        try session.execute("COMMIT")
      } catch {
        try? session.execute("ROLLBACK")
        throw error
      }
      applied.append(migration.identifier)
    }
    return applied
  }
}

extension PostgresMigrations {
  /// A migration's statements, one at a time (PostgreSQL's extended protocol takes one per
  /// message): split at semicolons outside comments, quotes and `$$` bodies.
  static func statements(of sql: String) -> [String] {
    var statements: [String] = []
    var current = ""
    var inQuote = false
    var inBody = false
    var inComment = false
    var previous: Character = " "
    for character in sql {
      if inComment {
        if character == "\n" { inComment = false }
        previous = character
        continue
      }
      if !inQuote && !inBody && previous == "-" && character == "-" {
        current.removeLast()
        inComment = true
        previous = " "
        continue
      }
      if character == "'" && !inBody { inQuote.toggle() }
      if character == "$" && previous == "$" && !inQuote { inBody.toggle() }
      if character == ";" && !inQuote && !inBody {
        let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !statement.isEmpty { statements.append(statement) }
        current = ""
      } else {
        current.append(character)
      }
      previous = character
    }
    let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
    if !last.isEmpty { statements.append(last) }
    return statements
  }
}

extension PostgresStore {
  /// Applies pending migrations, connected as the schema's owner (`url`). Returns the identifiers
  /// applied.
  public static func migrate(url: PostgresURL, logger: Logger) async throws -> [String] {
    try await withOwnerSession(url: url, logger: logger) { try PostgresMigrations.migrate($0) }
  }

  /// Where every embedded migration stands in the database at `url`.
  public static func migrationStatus(
    url: PostgresURL,
    logger: Logger
  ) async throws
    -> [MigrationStatus]
  {
    try await withOwnerSession(url: url, logger: logger) { try PostgresMigrations.status($0) }
  }

  private static func withOwnerSession<T: Sendable>(
    url: PostgresURL,
    logger: Logger,
    _ body: @escaping @Sendable (PostgresSession) throws -> T
  ) async throws -> T {
    var configuration = PostgresStoreConfiguration(url: url)
    configuration.maxConnections = 1
    // Migrations may take longer than a call's statement.
    configuration.statementTimeout = .seconds(600)
    let store = PostgresStore(configuration: configuration, logger: logger)
    defer { try? store.close() }
    return try await store.withSession(body)
  }

  func withSession<T: Sendable>(
    _ body: @escaping @Sendable (PostgresSession) throws -> T
  ) async throws -> T {
    try await withTaskExecutorPreference(threads) {
      try self.pool.withConnection(body)
    }
  }
}
