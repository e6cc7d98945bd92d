import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import ThaiyyalCore

/// One PostgreSQL connection inside one transaction, as the SQL repositories use it.
///
/// It blocks on each query (``PostgresStore`` runs transactions on threads of their own, never on
/// an event loop or the cooperative pool). Arguments go as text of unspecified type, as libpq
/// sends them, so PostgreSQL infers each one's type from where it is used (an email compared with
/// a `citext` column compares case-insensitively).
final class PostgresSQLConnection: SQLConnection {
  let connection: PostgresConnection
  let logger: Logger
  /// Whether the transaction writes: a write takes the tenant's advisory lock when it enters it.
  let writes: Bool
  /// The tenant the transaction's `app.tenant_id` names, if any.
  private var tenant: TenantID?

  init(connection: PostgresConnection, logger: Logger, writes: Bool) {
    self.connection = connection
    self.logger = logger
    self.writes = writes
  }

  var dialect: SQLDialect { .postgres }

  @discardableResult
  func run(_ sql: String, _ arguments: SQLArguments) throws -> Int {
    try query(sql, arguments).metadata.rows ?? 0
  }

  func fetchRows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
    let result = try query(sql, arguments)
    guard let first = result.rows.first else { return [] }
    let columns = SQLColumns(first.map(\.columnName))
    return result.rows.map { row in SQLRow(columns: columns, values: row.map(Self.value)) }
  }

  /// Sets `app.tenant_id` for the rest of the transaction, which row-level security reads. A write
  /// also takes the tenant's transaction-scoped advisory lock, so that the quota checks of
  /// concurrent writes in one tenant (on any server) see each other, as SQLite's single writer
  /// guarantees; other tenants never wait on it. The only writes that visit several tenants
  /// (start-up recovery) visit them in id order, so their locks cannot form a cycle.
  func enter(tenant: TenantID) throws {
    guard self.tenant != tenant else { return }
    if writes {
      // One round trip for both.
      _ = try query(
        "SELECT set_config('app.tenant_id', ?, true), pg_advisory_xact_lock(hashtextextended(?, 0))",
        [tenant.rawValue, tenant.rawValue]
      )
    } else {
      _ = try query("SELECT set_config('app.tenant_id', ?, true)", [tenant.rawValue])
    }
    self.tenant = tenant
  }

  /// Runs a statement outside the repositories (BEGIN, COMMIT, settings).
  func execute(_ sql: String) throws {
    _ = try query(sql, [])
  }

  private func query(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQueryResult {
    var bindings = PostgresBindings(capacity: arguments.count)
    for argument in arguments {
      switch argument?.sqlValue ?? .null {
      case .null: bindings.appendNull()
      case .integer(let value): bindings.append(UntypedText(String(value)))
      case .text(let text): bindings.append(UntypedText(text))
      }
    }
    let statement = PostgresQuery(unsafeSQL: Self.numberedPlaceholders(sql), binds: bindings)
    do {
      return try connection.query(statement, logger: logger).wait()
    } catch let error as PSQLError {
      throw Self.mapped(error)
    }
  }

  static func mapped(_ error: PSQLError) -> any Error {
    guard error.code == .server, let info = error.serverInfo else {
      return StoreUnavailable("the database connection failed: \(error.code)")
    }
    let state = info[.sqlState] ?? ""
    if state == "23505", let constraint = info[.constraintName], let table = info[.tableName] {
      // Constraints are named <table>_<column>_key.
      var column = Substring(constraint)
      if column.hasPrefix(table + "_") { column = column.dropFirst(table.count + 1) }
      if column.hasSuffix("_key") { column = column.dropLast(4) }
      return SQLConstraintViolation(column: String(column))
    }
    if state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" {
      // Connection exceptions, an administrator's shutdown, too many connections.
      return StoreUnavailable("the database is unavailable (SQLSTATE \(state))")
    }
    return StoreFailure(
      description: "database error \(state): \(info[.message] ?? "")"
        + (info[.detail].map { " (\($0))" } ?? "")
    )
  }

  /// `?` placeholders as PostgreSQL's `$1`, `$2`, …, outside quoted literals. Statements repeat,
  /// so each is rewritten once.
  static func numberedPlaceholders(_ sql: String) -> String {
    if let cached = rewritten.withLock({ $0[sql] }) { return cached }
    var output = ""
    output.reserveCapacity(sql.utf8.count + 16)
    var number = 0
    var inLiteral = false
    for character in sql {
      if character == "'" { inLiteral.toggle() }
      if character == "?" && !inLiteral {
        number += 1
        output += "$\(number)"
      } else {
        output.append(character)
      }
    }
    rewritten.withLock { cache in
      if cache.count > 4096 { cache.removeAll() }
      cache[sql] = output
    }
    return output
  }

  private static let rewritten = Mutex<[String: String]>([:])

  static func value(_ cell: PostgresCell) -> SQLValue {
    guard var bytes = cell.bytes else { return .null }
    if cell.format == .binary {
      switch cell.dataType {
      case .int8: return bytes.readInteger(as: Int64.self).map(SQLValue.integer) ?? .null
      case .int4: return bytes.readInteger(as: Int32.self).map { .integer(Int64($0)) } ?? .null
      case .int2: return bytes.readInteger(as: Int16.self).map { .integer(Int64($0)) } ?? .null
      case .bool: return .integer(bytes.readInteger(as: UInt8.self) == 1 ? 1 : 0)
      default: break
      }
    }
    // Text, varchar, citext and whatever else: their binary form is their UTF-8 text.
    return .text(bytes.readString(length: bytes.readableBytes) ?? "")
  }
}

/// A statement argument as text of unspecified type: the server infers its type from its use.
struct UntypedText: PostgresNonThrowingEncodable {
  let text: String
  init(_ text: String) { self.text = text }

  static var psqlType: PostgresDataType { .null }
  static var psqlFormat: PostgresFormat { .text }

  func encode<JSONEncoder: PostgresJSONEncoder>(
    into byteBuffer: inout ByteBuffer,
    context: PostgresEncodingContext<JSONEncoder>
  ) {
    byteBuffer.writeString(text)
  }
}
