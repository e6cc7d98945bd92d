import Foundation
import GRDB
import ThaiyyalCore

/// The connection GRDB lends for one transaction, as the SQL repositories use it.
struct GRDBConnection: SQLConnection {
  let db: Database

  var dialect: SQLDialect { .sqlite }

  @discardableResult
  func run(_ sql: String, _ arguments: SQLArguments) throws -> Int {
    do {
      try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
    } catch let error as DatabaseError {
      if let column = error.uniqueColumn { throw SQLConstraintViolation(column: column) }
      throw error
    }
    return db.changesCount
  }

  func fetchRows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
    let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments))
    guard let first = rows.first else { return [] }
    let columns = SQLColumns(Array(first.columnNames))
    return rows.map { row in
      SQLRow(columns: columns, values: row.databaseValues.map(Self.value))
    }
  }

  /// SQLite keeps tenants apart by the repositories' predicates alone.
  func enter(tenant: TenantID) {}

  static func arguments(_ arguments: SQLArguments) -> StatementArguments {
    StatementArguments(
      arguments.map { argument -> DatabaseValue in
        switch argument?.sqlValue ?? .null {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .text(let text): text.databaseValue
        }
      }
    )
  }

  static func value(_ value: DatabaseValue) -> SQLValue {
    switch value.storage {
    case .null: .null
    case .int64(let integer): .integer(integer)
    case .double(let double): .integer(Int64(double))
    case .string(let text): .text(text)
    case .blob(let data): .text(String(decoding: data, as: UTF8.self))
    }
  }
}

extension DatabaseError {
  /// For a UNIQUE constraint failure, the column named in SQLite's message
  /// (`UNIQUE constraint failed: tenants.slug` → `slug`).
  var uniqueColumn: String? {
    guard resultCode == .SQLITE_CONSTRAINT, extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE,
      let message, let range = message.range(of: "UNIQUE constraint failed: ")
    else { return nil }
    let columns = message[range.upperBound...].split(separator: ",").map {
      $0.split(separator: ".").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
    }
    return columns.last { $0 != "tenant_id" }
  }
}
