import ThaiyyalCore

/// One database connection inside one transaction, as the SQL repositories use it. Each backend
/// (SQLite, PostgreSQL) implements it; the repositories' SQL is written once, with `?`
/// placeholders, in the subset both databases understand, and ``SQLDialect`` names the few
/// expressions that differ.
protocol SQLConnection {
  var dialect: SQLDialect { get }

  /// Runs a statement; returns how many rows it changed.
  ///
  /// - Throws: ``SQLConstraintViolation`` when a unique constraint refused the row.
  @discardableResult
  func run(_ sql: String, _ arguments: SQLArguments) throws -> Int

  func fetchRows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow]

  /// Makes `tenant` the tenant whose rows the following statements may see and change. Where the
  /// database enforces isolation itself (PostgreSQL's row-level security) this sets it; where
  /// only the repositories' predicates do (SQLite) it does nothing.
  func enter(tenant: TenantID) throws
}

extension SQLConnection {
  func fetchRow(_ sql: String, _ arguments: SQLArguments) throws -> SQLRow? {
    try fetchRows(sql, arguments).first
  }

  func fetchInt(_ sql: String, _ arguments: SQLArguments) throws -> Int64? {
    try fetchRow(sql, arguments)?.values.first?.integer
  }
}

/// The expressions that differ between the databases.
struct SQLDialect: Sendable {
  /// The larger of two values (`max(a, b)` in SQLite, `greatest(a, b)` in PostgreSQL).
  let greatest: @Sendable (_ a: String, _ b: String) -> String
  /// A predicate that holds when the JSON array in `column` has an element equal to the text of
  /// the next argument.
  let jsonArrayContains: @Sendable (_ column: String) -> String
  /// Removes a purged tenant's audit log, which the application may otherwise never delete;
  /// returns how many entries went.
  let purgeAuditLog: @Sendable (any SQLConnection, TenantID) throws -> Int
  /// A predicate on `workflow_executions` that holds for executions this server may start: all
  /// of them where it is alone on the database, the ones it holds the lease of where servers share
  /// it (another server may have taken one over from this server's queue). So the server that
  /// runs an execution is always the one renewing its lease.
  let heldByThisServer: String

  static let sqlite = SQLDialect(
    greatest: { "max(\($0), \($1))" },
    jsonArrayContains: { "EXISTS (SELECT 1 FROM json_each(\($0)) WHERE value = ?)" },
    // A trigger refuses the delete unless the tenant is deleted.
    purgeAuditLog: { try $0.run("DELETE FROM audit_logs WHERE tenant_id = ?", [$1.rawValue]) },
    heldByThisServer: "1 = 1"
  )

  static let postgres = SQLDialect(
    greatest: { "greatest(\($0), \($1))" },
    jsonArrayContains: {
      "EXISTS (SELECT 1 FROM json_array_elements_text(\($0)::json) AS tag WHERE tag = ?)"
    },
    // The application role may not delete audit entries; a function owned by the schema's owner
    // does it, for a deleted tenant only.
    purgeAuditLog: {
      Int(try $0.fetchInt("SELECT thaiyyal_purge_audit_log(?)", [$1.rawValue]) ?? 0)
    },
    // The server's name is a setting of each of its connections.
    heldByThisServer:
      "claimed_by IS NOT DISTINCT FROM nullif(current_setting('app.server_id', true), '')"
  )
}

/// A unique constraint refused a row; `column` is the column it is on.
struct SQLConstraintViolation: Error {
  let column: String
}

/// A value a statement binds or a row holds.
enum SQLValue: Sendable, Hashable {
  case null
  case integer(Int64)
  case text(String)

  var integer: Int64? {
    if case .integer(let value) = self { value } else { nil }
  }
}

/// A Swift value that binds to a statement argument.
protocol SQLBindable {
  var sqlValue: SQLValue { get }
}

extension String: SQLBindable {
  var sqlValue: SQLValue { .text(self) }
}

extension Int64: SQLBindable {
  var sqlValue: SQLValue { .integer(self) }
}

extension Int: SQLBindable {
  var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Bool: SQLBindable {
  /// Booleans are stored as 0 and 1 on every backend.
  var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}

/// A statement's arguments, in placeholder order; `nil` binds NULL.
typealias SQLArguments = [(any SQLBindable)?]

extension Array where Element == (any SQLBindable)? {
  var sqlValues: [SQLValue] { map { $0?.sqlValue ?? .null } }
}

/// The column names of one result, shared by its rows.
final class SQLColumns: Sendable {
  let names: [String]
  private let index: [String: Int]

  init(_ names: [String]) {
    self.names = names
    var index: [String: Int] = [:]
    for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
    self.index = index
  }

  func position(of column: String) -> Int {
    guard let position = index[column] else {
      preconditionFailure("the query selected no column \(column)")
    }
    return position
  }
}

/// One result row. A column read as a type it does not hold is a programming error (the schema
/// and the queries disagree), not bad input.
struct SQLRow {
  let columns: SQLColumns
  let values: [SQLValue]

  subscript(_ column: String) -> SQLValue { values[columns.position(of: column)] }

  subscript(_ column: String) -> String? {
    switch self[column] as SQLValue {
    case .null: return nil
    case .text(let text): return text
    case .integer(let value): return String(value)
    }
  }

  subscript(_ column: String) -> String {
    guard let text = self[column] as String? else {
      preconditionFailure("column \(column) is NULL")
    }
    return text
  }

  subscript(_ column: String) -> Int64? {
    switch self[column] as SQLValue {
    case .null: return nil
    case .integer(let value): return value
    case .text(let text):
      guard let value = Int64(text) else { preconditionFailure("column \(column) is not a number") }
      return value
    }
  }

  subscript(_ column: String) -> Int64 {
    guard let value = self[column] as Int64? else {
      preconditionFailure("column \(column) is NULL")
    }
    return value
  }

  subscript(_ column: String) -> Int {
    Int(self[column] as Int64)
  }

  subscript(_ column: String) -> Bool {
    (self[column] as Int64) != 0
  }
}
