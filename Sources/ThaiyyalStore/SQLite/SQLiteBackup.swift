import Foundation
import GRDB

/// Consistent copies of a live SQLite database, and their verification: what `thaiyyal backup`
/// and `thaiyyal restore` do.
///
/// The copy is `VACUUM INTO`, run on a connection of its own: it reads one snapshot of the
/// database (in WAL mode the server's writers go on meanwhile, and nothing written after the
/// snapshot began is in the copy) and writes a compact file. A copy is trusted only after
/// ``verify(_:)``: `PRAGMA integrity_check` and every migration applied as this binary embeds it.
public enum SQLiteBackup {
  /// What a verified copy holds.
  public struct Report: Sendable, Hashable {
    public var bytes: Int64
    public var migrations: [String]
    public var tenants: Int64
    public var workflows: Int64
    public var executions: Int64
  }

  /// Writes a consistent copy of the database at `source` to `target`, which must not exist.
  public static func copy(_ source: String, to target: String) throws {
    guard FileManager.default.fileExists(atPath: source) else {
      throw StoreError.cannotOpen(path: source, reason: "no database there")
    }
    guard !FileManager.default.fileExists(atPath: target) else {
      throw StoreError.cannotOpen(path: target, reason: "the file exists")
    }
    var configuration = Configuration()
    configuration.readonly = true
    configuration.busyMode = .timeout(10)
    do {
      let queue = try DatabaseQueue(path: source, configuration: configuration)
      defer { try? queue.close() }
      try queue.inDatabase { db in
        try db.execute(sql: "VACUUM INTO ?", arguments: [target])
      }
      try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
    } catch let error as StoreError {
      throw error
    } catch {
      try? FileManager.default.removeItem(atPath: target)
      throw StoreError.cannotOpen(path: source, reason: "\(error)")
    }
  }

  /// Checks a copy: its pages are sound, and every migration this binary knows is applied and
  /// unchanged (a copy from a newer or tampered database is refused).
  public static func verify(_ path: String) throws -> Report {
    var configuration = Configuration()
    configuration.readonly = true
    let queue: DatabaseQueue
    do {
      queue = try DatabaseQueue(path: path, configuration: configuration)
    } catch {
      throw StoreError.cannotOpen(path: path, reason: "\(error)")
    }
    defer { try? queue.close() }
    return try queue.read { db in
      let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
      guard integrity == ["ok"] else {
        throw StoreError.cannotOpen(
          path: path,
          reason: "integrity check failed: \(integrity.prefix(3).joined(separator: "; "))"
        )
      }
      let statuses = try MigrationRunner(migrations: embeddedMigrations).status(db)
      try Migration.requireNoTampering(statuses)
      let pending = statuses.filter { $0.state == .pending }.map(\.identifier)
      guard pending.isEmpty else {
        throw StoreError.cannotOpen(
          path: path,
          reason:
            "not a complete Thaiyyal database: migrations \(pending.joined(separator: ", ")) missing"
        )
      }
      func count(_ table: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
      }
      let attributes = try? FileManager.default.attributesOfItem(atPath: path)
      return Report(
        bytes: (attributes?[.size] as? NSNumber)?.int64Value ?? 0,
        migrations: statuses.map(\.identifier),
        tenants: try count("tenants"),
        workflows: try count("workflows"),
        executions: try count("workflow_executions")
      )
    }
  }
}
