/// A database failure that is not the caller's: the database is unreachable or its connection
/// broke. Calls get UNAVAILABLE and may retry; the server keeps serving and reconnects.
public struct StoreUnavailable: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A database failure the store did not expect (I/O, corruption, a violated constraint that
/// should have been checked first). Its description is for logs, never for clients.
public struct StoreFailure: Error, CustomStringConvertible, Sendable {
  public let description: String
  init(description: String) { self.description = description }
}

/// One migration file embedded in the binary.
struct Migration: Sendable {
  /// The file name, e.g. `0001_initial.sql`; migrations apply in this order.
  let identifier: String
  /// SHA-256 of the file, recorded when applied; a later mismatch stops start-up.
  let sha256: String
  let sql: String
}

/// Where one migration stands in a database.
public struct MigrationStatus: Sendable, Hashable {
  public enum State: Sendable, Hashable {
    case applied(at: Int64)
    case pending
    /// Applied, but the embedded file differs from what was applied.
    case modified(recorded: String, embedded: String)
    /// Applied by a newer binary that this one does not know.
    case unknown
  }

  public let identifier: String
  public let state: State
}

/// Failures opening or migrating the database, reported before the server starts.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
  case modifiedMigration(identifier: String, recorded: String, embedded: String)
  case unknownMigration(identifier: String)
  case cannotOpen(path: String, reason: String)
  /// A database URL that cannot be used; the reason never includes the password.
  case invalidDatabaseURL(String)
  /// The server's database role could read or change every tenant's rows (a superuser, a role
  /// with BYPASSRLS, or the tables' owner): row-level security would not hold, so it refuses.
  case unsafeDatabaseRole(String)
  /// The schema is behind this binary; migrations run as the schema's owner, not the server.
  case migrationsPending([String])

  public var description: String {
    switch self {
    case .modifiedMigration(let identifier, let recorded, let embedded):
      "migration \(identifier) was changed after it was applied (applied sha256 \(recorded), "
        + "this binary has \(embedded)); applied migrations must never be edited, add a new one instead"
    case .unknownMigration(let identifier):
      "the database has migration \(identifier), which this binary does not know; use a newer binary"
    case .cannotOpen(let path, let reason):
      "cannot open database \(path): \(reason)"
    case .invalidDatabaseURL(let reason):
      "invalid database URL: \(reason)"
    case .unsafeDatabaseRole(let reason):
      "refusing to serve: \(reason); connect as a member of thaiyyal_app (see docs/scaling.md)"
    case .migrationsPending(let identifiers):
      "the database needs migrations \(identifiers.joined(separator: ", ")); run "
        + "`thaiyyal migrate --database-url <the schema owner's URL>` first"
    }
  }
}

extension Migration {
  /// Where each of `migrations` stands, given what a database recorded as applied.
  static func statuses(
    of migrations: [Migration],
    applied: [String: (sha256: String, appliedAt: Int64)]
  ) -> [MigrationStatus] {
    var result: [MigrationStatus] = migrations.map { migration in
      guard let record = applied[migration.identifier] else {
        return MigrationStatus(identifier: migration.identifier, state: .pending)
      }
      if record.sha256 != migration.sha256 {
        return MigrationStatus(
          identifier: migration.identifier,
          state: .modified(recorded: record.sha256, embedded: migration.sha256)
        )
      }
      return MigrationStatus(
        identifier: migration.identifier,
        state: .applied(at: record.appliedAt)
      )
    }
    let known = Set(migrations.map(\.identifier))
    for identifier in applied.keys.sorted() where !known.contains(identifier) {
      result.append(MigrationStatus(identifier: identifier, state: .unknown))
    }
    return result
  }

  /// Refuses a history that was rewritten: an applied migration that changed, or one this binary
  /// does not know.
  static func requireNoTampering(_ statuses: [MigrationStatus]) throws {
    for status in statuses {
      switch status.state {
      case .modified(let recorded, let embedded):
        throw StoreError.modifiedMigration(
          identifier: status.identifier,
          recorded: recorded,
          embedded: embedded
        )
      case .unknown:
        throw StoreError.unknownMigration(identifier: status.identifier)
      case .applied, .pending:
        continue
      }
    }
  }
}
