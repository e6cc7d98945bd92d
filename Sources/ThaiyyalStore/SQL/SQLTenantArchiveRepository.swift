import ThaiyyalCore

/// One tenant's rows as they are stored, table by table, for moving the tenant to another
/// installation (`thaiyyal tenant export` and `import`).
struct SQLTenantArchiveRepository: TenantArchiveRepository {
  let db: any SQLConnection
  let tenantID: TenantID

  func rows(
    of table: ArchiveTable,
    after key: [ArchiveValue]?,
    limit: Int
  ) throws -> [[ArchiveValue]] {
    var conditions = ["tenant_id = ?"]
    var arguments: SQLArguments = [tenantID.rawValue]
    if let filter = table.exportFilter { conditions.append(filter) }
    if let key {
      precondition(key.count == table.key.count, "a key has one value per key column")
      let columns = table.key.joined(separator: ", ")
      let marks = Array(repeating: "?", count: key.count).joined(separator: ", ")
      conditions.append("(\(columns)) > (\(marks))")
      arguments += key.map(\.bindable)
    }
    let rows = try db.fetchRows(
      """
      SELECT \(table.columns.joined(separator: ", ")) FROM \(table.rawValue)
      WHERE \(conditions.joined(separator: " AND "))
      ORDER BY \(table.key.joined(separator: ", ")) LIMIT ?
      """,
      arguments + [limit]
    )
    return rows.map { row in row.values.map(ArchiveValue.init) }
  }

  func insert(_ values: [ArchiveValue], into table: ArchiveTable) throws {
    precondition(values.count == table.columns.count, "a row has one value per column")
    let columns = ["tenant_id"] + table.columns
    let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
    try db.run(
      "INSERT INTO \(table.rawValue) (\(columns.joined(separator: ", "))) VALUES (\(marks))",
      [tenantID.rawValue] + values.map(\.bindable)
    )
  }
}

extension ArchiveValue {
  init(_ value: SQLValue) {
    switch value {
    case .null: self = .null
    case .integer(let number): self = .integer(number)
    case .text(let text): self = .text(text)
    }
  }

  fileprivate var bindable: (any SQLBindable)? {
    switch self {
    case .null: nil
    case .integer(let number): number
    case .text(let text): text
    }
  }
}
