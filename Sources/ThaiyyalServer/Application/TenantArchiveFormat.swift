import Crypto
import Foundation
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalStore

/// The tenant archive, version 1: JSON Lines, one object per line, in UTF-8.
///
/// ```text
/// {"format":"thaiyyal-tenant-archive","version":1,"created_at":…,"server_version":…,
///  "includes":{"password_hashes":false,"executions":true},"tenant":{"id":…,"slug":…,…}}
/// {"table":"users","row":{"id":…,"email":…,…}}          one line per row, tables in
/// {"table":"workflows","row":{…}}                        ArchiveTable order
/// {"end":{"rows":{"users":3,…},"sha256":"…"}}           every byte before this line, hashed
/// ```
///
/// A row holds exactly its table's ``ArchiveTable/columns``: text as strings (JSON documents such
/// as definitions stay strings), integers as numbers, absent values as null. The last line makes a
/// cut or altered archive fail to load instead of loading in part.
enum TenantArchiveFormat {
  static let name = "thaiyyal-tenant-archive"
  static let version = 1
  /// The longest line read: far above any row the server stores, far below memory trouble.
  static let maxLineBytes = 256 << 20

  /// Writes an archive to a file, buffered, hashing as it goes.
  final class Writer: @unchecked Sendable {
    private let output: FileHandle
    private var buffer: [UInt8] = []
    private var digest = SHA256()

    init(_ output: FileHandle) {
      self.output = output
    }

    func header(tenant: Tenant, options: TenantMoves.ExportOptions, at time: Int64) throws {
      try line(
        .object([
          "format": .string(TenantArchiveFormat.name),
          "version": .number(Double(TenantArchiveFormat.version)),
          "created_at": .number(Double(time)),
          "server_version": .string(ServerVersion.current),
          "includes": .object([
            "password_hashes": .bool(options.passwordHashes),
            "executions": .bool(options.executions),
          ]),
          "tenant": try Self.record(tenant),
        ]),
        hashed: true
      )
    }

    func row(_ values: [ArchiveValue], of table: ArchiveTable) throws {
      var row: [String: JSONValue] = [:]
      for (column, value) in zip(table.columns, values) {
        switch value {
        case .null: row[column] = .null
        case .integer(let number): row[column] = .number(Double(number))
        case .text(let text): row[column] = .string(text)
        }
      }
      try line(.object(["table": .string(table.rawValue), "row": .object(row)]), hashed: true)
    }

    /// The last line, then everything is flushed.
    func trailer(_ counts: TenantMoves.RowCounts) throws {
      let rows = Dictionary(
        uniqueKeysWithValues: counts.map { ($0.key.rawValue, JSONValue.number(Double($0.value))) }
      )
      let hash = digest.finalize().map { String(format: "%02x", $0) }.joined()
      try line(
        .object(["end": .object(["rows": .object(rows), "sha256": .string(hash)])]),
        hashed: false
      )
      try flush()
    }

    private func line(_ value: JSONValue, hashed: Bool) throws {
      let start = buffer.count
      JSONWriter().write(value, into: &buffer)
      buffer.append(0x0A)
      if hashed { buffer[start...].withUnsafeBytes { digest.update(bufferPointer: $0) } }
      if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
      try output.write(contentsOf: buffer)
      buffer.removeAll(keepingCapacity: true)
    }

    static func record(_ tenant: Tenant) throws -> JSONValue {
      let encoder = JSONEncoder()
      encoder.keyEncodingStrategy = .convertToSnakeCase
      let limits = try JSONParser().parse(try encoder.encode(tenant.limitOverrides).bytes)
      return .object([
        "id": .string(tenant.id.rawValue),
        "slug": .string(tenant.slug),
        "name": .string(tenant.name),
        "status": .string(tenant.status.rawValue),
        "plan": .string(tenant.plan.rawValue),
        "limit_overrides": limits,
        "settings": .string(tenant.settingsJSON),
        "custom_domain": tenant.customDomain.map(JSONValue.string) ?? .null,
        "created_at": .number(Double(tenant.createdAt)),
        "updated_at": .number(Double(tenant.updatedAt)),
        "deleted_at": tenant.deletedAt.map { .number(Double($0)) } ?? .null,
        "revision": .number(Double(tenant.revision)),
      ])
    }
  }

  /// Reads an archive line by line, checking each line as it comes and the whole at its end.
  final class Reader: @unchecked Sendable {
    private let input: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var digest = SHA256()
    private var end: JSONValue?
    /// The number of the line last read.
    private(set) var line = 0
    private let maxLineBytes: Int

    /// Tests lower `maxLineBytes`.
    init(_ input: FileHandle, maxLineBytes: Int = TenantArchiveFormat.maxLineBytes) {
      self.input = input
      self.maxLineBytes = maxLineBytes
    }

    func fail(_ reason: String) -> TenantMoveError { .archive(line: line, reason) }

    /// The first line: the tenant and when the archive was made.
    func header() throws -> (tenant: Tenant, createdAt: Int64) {
      guard let header = try nextObject() else { throw fail("the file is empty") }
      guard header["format"]?.stringValue == TenantArchiveFormat.name else {
        throw fail("not a tenant archive (no \"format\": \"\(TenantArchiveFormat.name)\")")
      }
      guard let version = header["version"]?.numberValue, version == 1 else {
        throw fail(
          "archive version \(header["version"].map { JSONWriter().string($0) } ?? "none") is not one this server reads (it reads version \(TenantArchiveFormat.version))"
        )
      }
      guard let tenant = header["tenant"] else { throw fail("the header names no tenant") }
      return (try Self.tenant(tenant, fail), try integer(header["created_at"], "created_at"))
    }

    /// The next row, or `nil` at the archive's last line.
    func row() throws -> (ArchiveTable, [ArchiveValue])? {
      guard let object = try nextObject() else {
        throw fail("the archive ends before its last line: it was cut short")
      }
      if let end = object["end"] {
        self.end = end
        return nil
      }
      guard let name = object["table"]?.stringValue, let table = ArchiveTable(rawValue: name) else {
        throw fail("a line that is neither a row of a known table nor the last line")
      }
      guard case .object(let row)? = object["row"] else {
        throw fail("a row that is not an object")
      }
      let columns = table.columns
      if row.count != columns.count || columns.contains(where: { row[$0] == nil }) {
        let missing = columns.filter { row[$0] == nil }
        let unknown = row.keys.filter { !columns.contains($0) }.sorted()
        throw fail(
          "a \(name) row must hold exactly its columns (missing: \(missing.joined(separator: ", ")); unknown: \(unknown.joined(separator: ", ")))"
        )
      }
      let values = try columns.map { column throws(TenantMoveError) -> ArchiveValue in
        switch row[column]! {
        case .null: return .null
        case .string(let text): return .text(text)
        case .number: return .integer(try integer(row[column], column))
        default: throw fail("\(name).\(column) is neither text, an integer nor null")
        }
      }
      return (table, values)
    }

    /// Checks the last line against what was loaded, and that nothing follows it.
    func trailer(expecting counts: TenantMoves.RowCounts) throws {
      guard let end, case .object(let rows)? = end["rows"] else {
        throw fail("the last line holds no row counts")
      }
      for table in ArchiveTable.allCases {
        let declared = try rows[table.rawValue].map { try integer($0, table.rawValue) } ?? 0
        guard declared == Int64(counts[table] ?? 0) else {
          throw fail(
            "the archive declares \(declared) \(table.rawValue) rows but holds \(counts[table] ?? 0)"
          )
        }
      }
      let hash = digest.finalize().map { String(format: "%02x", $0) }.joined()
      guard end["sha256"]?.stringValue == hash else {
        throw fail("the archive's checksum does not match its contents: it was altered or damaged")
      }
      guard try nextLine() == nil else { throw fail("lines follow the archive's last line") }
    }

    private func integer(_ value: JSONValue?, _ field: String) throws(TenantMoveError) -> Int64 {
      guard let number = value?.numberValue, number == number.rounded(.towardZero),
        abs(number) <= 9_007_199_254_740_992
      else { throw fail("\(field) is not an integer") }
      return Int64(number)
    }

    /// The next line as a JSON object, hashed unless it is the last line; `nil` at the end of the
    /// file.
    private func nextObject() throws -> JSONValue? {
      guard let bytes = try nextLine() else { return nil }
      let value: JSONValue
      do {
        value = try JSONParser(maxDepth: 64).parse(bytes)
      } catch {
        throw fail("not JSON: \(error)")
      }
      guard case .object = value else { throw fail("a line that is not a JSON object") }
      if value["end"] == nil {
        digest.update(data: bytes)
        digest.update(data: [0x0A])
      }
      return value
    }

    /// The next line without its newline; `nil` at the end of the file.
    private func nextLine() throws -> [UInt8]? {
      // Where the search for the newline goes on from: a long line arriving in many chunks is
      // scanned once, not from its start again after every chunk.
      var searched = start
      while true {
        if let newline = buffer[searched...].firstIndex(of: 0x0A) {
          let bytes = Array(buffer[start ..< newline])
          start = newline + 1
          line += 1
          return bytes
        }
        searched = buffer.count
        guard buffer.count - start <= maxLineBytes else {
          line += 1
          throw fail("a line longer than \(maxLineBytes) bytes")
        }
        if atEnd {
          guard start < buffer.count else { return nil }
          line += 1
          throw fail("the archive ends in the middle of a line: it was cut short")
        }
        if start > 0 {
          buffer.removeSubrange(..<start)
          searched -= start
          start = 0
        }
        if let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
          buffer.append(contentsOf: chunk)
        } else {
          atEnd = true
        }
      }
    }

    static func tenant(
      _ record: JSONValue,
      _ fail: (String) -> TenantMoveError
    ) throws -> Tenant {
      func text(_ key: String) throws -> String {
        guard let value = record[key]?.stringValue else { throw fail("tenant.\(key) is missing") }
        return value
      }
      func integer(_ key: String) throws -> Int64? {
        guard let value = record[key], value != .null else { return nil }
        guard let number = value.numberValue, number == number.rounded(.towardZero) else {
          throw fail("tenant.\(key) is not an integer")
        }
        return Int64(number)
      }
      guard let status = Tenant.Status(rawValue: try text("status")) else {
        throw fail("tenant.status is not one of active, suspended, deleted")
      }
      guard let plan = Plan(rawValue: try text("plan")) else {
        throw fail("tenant.plan is not one of free, pro, enterprise")
      }
      let decoder = JSONDecoder()
      decoder.keyDecodingStrategy = .convertFromSnakeCase
      guard let limits = record["limit_overrides"],
        let overrides = try? decoder.decode(
          PlanLimits.self,
          from: Data(JSONWriter().string(limits).utf8)
        )
      else { throw fail("tenant.limit_overrides is not a set of plan limits") }
      guard PlanLimits.fields.allSatisfy({ (overrides[keyPath: $0] ?? -1) >= -1 }) else {
        throw fail("tenant.limit_overrides: limits must be -1 (unlimited) or more")
      }
      let id = try text("id")
      guard UUIDv7.isValid(id) else { throw fail("tenant.id is not an id") }
      guard let created = try integer("created_at"),
        let updated = try integer("updated_at"), let revision = try integer("revision")
      else { throw fail("the tenant's id, times or revision are missing") }
      return Tenant(
        id: TenantID(rawValue: id),
        slug: try text("slug"),
        name: try text("name"),
        status: status,
        plan: plan,
        limitOverrides: overrides,
        settingsJSON: try text("settings"),
        customDomain: record["custom_domain"]?.stringValue,
        createdAt: created,
        updatedAt: updated,
        deletedAt: try integer("deleted_at"),
        revision: revision
      )
    }
  }
}

extension Data {
  fileprivate var bytes: [UInt8] { [UInt8](self) }
}
