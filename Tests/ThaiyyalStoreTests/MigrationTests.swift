import Crypto
import Foundation
import GRDB
import Testing
import ThaiyyalTesting

@testable import ThaiyyalStore

@Suite("Migrations")
struct MigrationTests {
  static let migrationsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("migrations")

  @Test(
    "the embedded migrations are exactly the files in migrations/ (run scripts/gen-migrations)",
    arguments: ["sqlite", "postgres"]
  )
  func embeddedMatchFiles(backend: String) throws {
    let directory = Self.migrationsDirectory.appendingPathComponent(backend)
    let embedded = backend == "sqlite" ? embeddedMigrations : embeddedPostgresMigrations
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasSuffix(".sql") }.sorted()
    #expect(files == embedded.map(\.identifier))
    for migration in embedded {
      let data = try Data(contentsOf: directory.appendingPathComponent(migration.identifier))
      #expect(
        String(decoding: data, as: UTF8.self) == migration.sql,
        "\(migration.identifier) changed"
      )
      let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
      #expect(digest == migration.sha256)
    }
  }

  @Test("a fresh database gets every migration; reopening applies nothing")
  func applyOnce() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let store = try SQLiteStore(configuration: StoreConfiguration(path: directory.path + "/db"))
    #expect(
      try store.migrationStatus().allSatisfy { if case .applied = $0.state { true } else { false } }
    )
    #expect(try store.migrate().isEmpty)
    try store.close()
  }

  @Test("an applied migration whose text changed stops start-up with a clear message")
  func tampered() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let pool = try DatabasePool(path: directory.path + "/db")
    let original = Migration(
      identifier: "0001_a.sql",
      sha256: "aaa",
      sql: "CREATE TABLE a (x INTEGER);"
    )
    _ = try MigrationRunner(migrations: [original]).migrate(pool)
    let edited = Migration(identifier: "0001_a.sql", sha256: "bbb", sql: "CREATE TABLE a (x TEXT);")
    #expect(
      throws: StoreError.modifiedMigration(
        identifier: "0001_a.sql",
        recorded: "aaa",
        embedded: "bbb"
      )
    ) {
      try MigrationRunner(migrations: [edited]).migrate(pool)
    }
    #expect(
      "\(StoreError.modifiedMigration(identifier: "0001_a.sql", recorded: "aaa", embedded: "bbb"))"
        .contains("never be edited")
    )
  }

  @Test("a database from a newer binary is refused")
  func unknown() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let pool = try DatabasePool(path: directory.path + "/db")
    let first = Migration(identifier: "0001_a.sql", sha256: "a", sql: "CREATE TABLE a (x INTEGER);")
    let second = Migration(
      identifier: "0002_b.sql",
      sha256: "b",
      sql: "CREATE TABLE b (x INTEGER);"
    )
    #expect(
      try MigrationRunner(migrations: [first, second]).migrate(pool) == [
        "0001_a.sql", "0002_b.sql",
      ]
    )
    #expect(throws: StoreError.unknownMigration(identifier: "0002_b.sql")) {
      try MigrationRunner(migrations: [first]).migrate(pool)
    }
  }

  @Test("a failing migration leaves nothing half-applied")
  func atomic() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let pool = try DatabasePool(path: directory.path + "/db")
    let broken = Migration(
      identifier: "0001_a.sql",
      sha256: "a",
      sql: "CREATE TABLE a (x INTEGER); SELEKT nonsense;"
    )
    #expect(throws: (any Error).self) { try MigrationRunner(migrations: [broken]).migrate(pool) }
    #expect(try pool.read { db in try db.tableExists("a") } == false)
    #expect(
      try pool.read { db in try MigrationRunner(migrations: [broken]).status(db) }.first?.state
        == .pending
    )
  }
}
