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

  public var description: String {
    switch self {
    case .modifiedMigration(let identifier, let recorded, let embedded):
      "migration \(identifier) was changed after it was applied (applied sha256 \(recorded), "
        + "this binary has \(embedded)); applied migrations must never be edited, add a new one instead"
    case .unknownMigration(let identifier):
      "the database has migration \(identifier), which this binary does not know; use a newer binary"
    case .cannotOpen(let path, let reason):
      "cannot open database \(path): \(reason)"
    }
  }
}
