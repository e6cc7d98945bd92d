import Foundation
import GRDB
import Synchronization
import Testing
// The store is tested as its own caller: these tests make tenant scopes directly.
@_spi(TenantScopeIssuance) import ThaiyyalCore
import ThaiyyalTesting

@testable import ThaiyyalStore

@Suite("Store")
struct StoreTests {
  @Test("64 concurrent creators never exceed the user quota")
  func quotaRace() async throws {
    try await withStore { store, _ in
      var freeLimits = PlanCatalog.standard.limits[.free]!
      freeLimits.maxUsers = 5
      let limits = freeLimits
      let (tenant, _) = try await makeTenant(store, "acme", limits: limits)
      let outcomes = Tally()
      await withTaskGroup(of: Void.self) { group in
        for i in 0 ..< 64 {
          group.addTask {
            do {
              try await store.write { tx in
                try tx.scoped(TenantScope(tenant.id)).users.create(
                  makeUser(tenant.id, "user\(i)"),
                  passwordHash: "x",
                  limits: limits
                )
              }
              outcomes.add(created: 1)
            } catch DomainError.quotaExceeded(let violation) {
              #expect(violation.limit == 5)
              #expect(violation.used == 5)
              outcomes.add(refused: 1)
            } catch {
              Issue.record("unexpected \(error)")
            }
          }
        }
      }
      #expect(outcomes.counts.created == 4)
      #expect(outcomes.counts.refused == 60)
      let count = try await store.read { tx in
        try tx.scoped(TenantScope(tenant.id)).users.countActive()
      }
      #expect(count == 5)
    }
  }

  @Test("another tenant's rows are invisible through a scope")
  func isolation() async throws {
    try await withStore { store, _ in
      let (alpha, alphaOwner) = try await makeTenant(store, "alpha")
      let (beta, _) = try await makeTenant(store, "beta")
      let seenFromBeta = try await store.read { tx in
        try tx.scoped(TenantScope(beta.id)).users.find(id: alphaOwner.id)
      }
      #expect(seenFromBeta == nil)
      let seenFromAlpha = try await store.read { tx in
        try tx.scoped(TenantScope(alpha.id)).users.find(id: alphaOwner.id)
      }
      #expect(seenFromAlpha?.id == alphaOwner.id)
    }
  }

  @Test("the database refuses a child row that points into another tenant")
  func compositeForeignKeys() async throws {
    try await withStore { store, _ in
      let (alpha, owner) = try await makeTenant(store, "alpha")
      let (beta, _) = try await makeTenant(store, "beta")
      try await store.write { tx in
        try insertWorkflow(tx.db, tenant: alpha.id, id: "w1", by: owner.id)
      }
      await #expect(throws: (any Error).self) {
        try await store.write { tx in
          // A version in beta for alpha's workflow.
          try tx.db.execute(
            sql: """
              INSERT INTO workflow_versions (tenant_id, workflow_id, version, definition, created_by, created_at)
              VALUES (?, 'w1', 2, '{}', 'x', 0)
              """,
            arguments: [beta.id.rawValue]
          )
        }
      }
    }
  }

  @Test("the audit log is append-only")
  func appendOnly() async throws {
    try await withStore { store, _ in
      let (tenant, _) = try await makeTenant(store, "acme")
      let context = AuditContext(
        actorType: .system,
        actorID: "test",
        peer: "",
        requestID: "r1",
        time: 0
      )
      try await store.write { tx in
        try tx.scoped(TenantScope(tenant.id)).audit.append(
          context.entry(tenant: tenant.id, .workflowCreated, resourceID: "1")
        )
      }
      await #expect(throws: (any Error).self) {
        try await store.write { tx in
          try tx.db.execute(sql: "UPDATE audit_logs SET action = 'forged'")
        }
      }
      await #expect(throws: (any Error).self) {
        try await store.write { tx in try tx.db.execute(sql: "DELETE FROM audit_logs") }
      }
    }
  }

  @Test("stored bytes follow definitions and execution payloads, kept by the database")
  func storageCounter() async throws {
    try await withStore { store, _ in
      let (tenant, owner) = try await makeTenant(store, "acme")
      let definition = #"{"nodes":[],"edges":[]}"#
      try await store.write { tx in
        try insertWorkflow(tx.db, tenant: tenant.id, id: "w1", by: owner.id, definition: definition)
        try insertExecution(tx.db, tenant: tenant.id, id: "e1", workflow: "w1", input: "[1,2,3]")
      }
      let now = Int64(Clock.nowMilliseconds())
      let used = try await store.read { tx in
        try tx.scoped(TenantScope(tenant.id)).usage.used(.storageBytes, now: now)
      }
      #expect(used.used == Int64(definition.utf8.count + "[1,2,3]".utf8.count))
      try await store.write { tx in
        try tx.db.execute(
          sql: "DELETE FROM workflows WHERE tenant_id = ?",
          arguments: [tenant.id.rawValue]
        )
      }
      let after = try await store.read { tx in
        try tx.scoped(TenantScope(tenant.id)).usage.used(.storageBytes, now: now)
      }
      #expect(after.used == 0)
    }
  }

  @Test("the daily execution counter refuses past its limit and resets with the UTC day")
  func dailyCounter() async throws {
    try await withStore { store, _ in
      let (tenant, _) = try await makeTenant(store, "acme")
      let day1 = Int64(1_780_000_000_000)
      let scope = TenantScope(tenant.id)
      for _ in 0 ..< 3 {
        try await store.write { tx in
          try tx.scoped(scope).usage.take(.executionsPerDay, amount: 1, limit: 3, now: day1)
        }
      }
      do {
        try await store.write { tx in
          try tx.scoped(scope).usage.take(.executionsPerDay, amount: 1, limit: 3, now: day1)
        }
        Issue.record("expected the quota to refuse")
      } catch DomainError.quotaExceeded(let violation) {
        #expect(violation.used == 3)
        #expect(violation.resetsAt == Clock.utcDay(of: day1).nextDayStart)
      }
      let nextDay = Clock.utcDay(of: day1).nextDayStart
      try await store.write { tx in
        try tx.scoped(scope).usage.take(.executionsPerDay, amount: 1, limit: 3, now: nextDay)
      }
    }
  }

  @Test("a purge removes every row of the tenant from every table and leaves others intact")
  func purge() async throws {
    try await withStore { store, _ in
      let (alpha, alphaOwner) = try await makeTenant(store, "alpha")
      let (beta, betaOwner) = try await makeTenant(store, "beta")
      let context = AuditContext(
        actorType: .operator,
        actorID: "operator:uid=0",
        peer: "unix",
        requestID: "r",
        time: 0
      )
      for (tenant, owner) in [(alpha, alphaOwner), (beta, betaOwner)] {
        try await store.write { tx in
          try insertWorkflow(tx.db, tenant: tenant.id, id: "w1", by: owner.id)
          try insertExecution(tx.db, tenant: tenant.id, id: "e1", workflow: "w1", input: "1")
          try tx.scoped(TenantScope(tenant.id)).usage.take(
            .executionsPerDay,
            amount: 1,
            limit: -1,
            now: 0
          )
          try tx.scoped(TenantScope(tenant.id)).audit.append(
            context.entry(tenant: tenant.id, .tenantUpdated, resourceID: "1")
          )
        }
      }
      var marked = alpha
      marked.status = .deleted
      marked.deletedAt = 1
      let deleted = marked
      try await store.write { tx in _ = try tx.tenants.update(deleted, expectedRevision: 1) }
      let counts = try await store.write { tx in
        try tx.tenants.purge(try tx.tenants.find(id: alpha.id)!, audit: context, at: 5)
      }
      #expect(counts["users"] == 1)
      #expect(counts["workflows"] == 1)
      #expect(counts["workflow_executions"] == 1)
      #expect(counts["tenants"] == 1)
      let leftovers = try await store.read { tx in try rowsPerTenant(tx.db) }
      #expect(
        leftovers[alpha.id.rawValue] == nil,
        "rows of the purged tenant: \(leftovers[alpha.id.rawValue] ?? [:])"
      )
      #expect((leftovers[beta.id.rawValue] ?? [:])["workflows"] == 1)
      let tombstone = try await store.read { tx in try tx.tenants.tombstone(id: alpha.id) }
      #expect(tombstone?.slug == "alpha")
      #expect(tombstone?.purgedBy == "operator:uid=0")
    }
  }

  @Test("statements over tenant-owned tables are recognised when they miss tenant_id")
  func scopingAuditor() {
    #expect(TenantScopingAuditor.isUnscoped("SELECT * FROM users WHERE id = ?"))
    #expect(TenantScopingAuditor.isUnscoped("DELETE FROM audit_logs"))
    #expect(!TenantScopingAuditor.isUnscoped("SELECT * FROM users WHERE tenant_id = ? AND id = ?"))
    #expect(!TenantScopingAuditor.isUnscoped("SELECT * FROM tenants WHERE slug = ?"))
    #expect(!TenantScopingAuditor.isUnscoped("CREATE TABLE users (id TEXT)"))
  }

  @Test(
    "the auditor wants tenant_id in a predicate of every tenant table a statement touches",
    arguments: [
      // Naming tenant_id outside a predicate proves nothing.
      ("SELECT tenant_id, name FROM workflows WHERE id = ?", true),
      ("UPDATE users SET tenant_id = ?, name = ? WHERE id = ?", true),
      ("DELETE FROM workflow_executions WHERE id = ?", true),
      ("INSERT INTO audit_logs (id, action) VALUES (?, ?)", true),
      ("INSERT INTO audit_logs (tenant_id, id, action) VALUES (?, ?, ?)", false),
      ("UPDATE users SET name = ? WHERE tenant_id = ? AND id = ?", false),
      // A join that scopes only one side; then both sides.
      (
        "SELECT * FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id WHERE w.tenant_id = ?",
        true
      ),
      (
        "SELECT * FROM workflows w JOIN workflow_versions v ON v.tenant_id = w.tenant_id AND v.workflow_id = w.id WHERE w.tenant_id = ?",
        false
      ),
      // Two tables, a bare tenant_id: which one it constrains is ambiguous.
      ("SELECT * FROM workflows, users WHERE tenant_id = ?", true),
      // Each subquery is scoped on its own.
      (
        "SELECT id FROM workflow_executions WHERE tenant_id = ? AND workflow_id NOT IN (SELECT id FROM workflows WHERE tenant_id = ? AND visibility = 'private')",
        false
      ),
      (
        "SELECT id FROM workflow_executions WHERE tenant_id = ? AND workflow_id NOT IN (SELECT id FROM workflows WHERE visibility = 'private')",
        true
      ),
    ]
  )
  func scopingAuditorMutations(_ sql: String, _ unscoped: Bool) {
    #expect(TenantScopingAuditor.isUnscoped(sql) == unscoped, "\(sql)")
  }
}

/// Counts of rows per tenant in every table that has a tenant_id column, except the platform-level
/// tombstones that record purges.
func rowsPerTenant(_ db: Database) throws -> [String: [String: Int]] {
  var result: [String: [String: Int]] = [:]
  let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
  for table in tables where table != "tenant_tombstones" {
    let columns = try db.columns(in: table).map(\.name)
    let column = table == "tenants" ? "id" : (columns.contains("tenant_id") ? "tenant_id" : nil)
    guard let column else { continue }
    for row in try Row.fetchAll(
      db,
      sql: "SELECT \(column) AS t, count(*) AS n FROM \(table) GROUP BY \(column)"
    ) {
      result[row["t"], default: [:]][table] = row["n"]
    }
  }
  return result
}

func insertWorkflow(
  _ db: Database,
  tenant: TenantID,
  id: String,
  by user: UserID,
  definition: String = #"{"nodes":[]}"#
) throws {
  try db.execute(
    sql: """
      INSERT INTO workflows (tenant_id, id, name, visibility, latest_version, created_by, updated_by, created_at, updated_at)
      VALUES (?, ?, 'w', 'team', 1, ?, ?, 0, 0)
      """,
    arguments: [tenant.rawValue, id, user.rawValue, user.rawValue]
  )
  try db.execute(
    sql: """
      INSERT INTO workflow_versions (tenant_id, workflow_id, version, definition, created_by, created_at)
      VALUES (?, ?, 1, ?, ?, 0)
      """,
    arguments: [tenant.rawValue, id, definition, user.rawValue]
  )
}

func insertExecution(
  _ db: Database,
  tenant: TenantID,
  id: String,
  workflow: String,
  input: String
) throws {
  try db.execute(
    sql: """
      INSERT INTO workflow_executions (tenant_id, id, workflow_id, workflow_version, status, trigger, input, created_by, created_at)
      VALUES (?, ?, ?, 1, 'completed', 'api', ?, 'x', 0)
      """,
    arguments: [tenant.rawValue, id, workflow, input]
  )
}

/// Counts outcomes across concurrent tasks.
final class Tally: Sendable {
  private let state = Mutex<(created: Int, refused: Int)>((0, 0))
  var counts: (created: Int, refused: Int) { state.withLock { $0 } }
  func add(created: Int = 0, refused: Int = 0) {
    state.withLock {
      $0.created += created
      $0.refused += refused
    }
  }
}
