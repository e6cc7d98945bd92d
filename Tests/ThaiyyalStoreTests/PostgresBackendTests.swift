import Foundation
import Logging
import Testing
// The store's own tests make tenant scopes directly.
@_spi(TenantScopeIssuance) import ThaiyyalCore
import ThaiyyalTesting

@testable import ThaiyyalStore

/// The PostgreSQL backend, on a database of each test's own: row-level security holds with our
/// code bypassed, the server refuses a role that would void it, and the repositories behave as
/// on SQLite.
@Suite("PostgreSQL backend", .enabled(if: TestPostgresDatabase.available))
struct PostgresBackendTests {
  static func withDatabase<T>(
    _ body: (TestPostgresDatabase, PostgresStore) async throws -> T
  ) async throws -> T {
    let database = try await TestPostgresDatabase.make()
    defer { database.drop() }
    var logger = Logger(label: "test.postgres")
    logger.logLevel = .warning
    let store = PostgresStore(
      configuration: PostgresStoreConfiguration(url: database.serverURL),
      logger: logger
    )
    defer { try? store.close() }
    try await store.checkReadyToServe()
    return try await body(database, store)
  }

  static func workflow(in tenant: Tenant, name: String) -> WorkflowRecord {
    WorkflowRecord(
      tenantID: tenant.id,
      id: .generate(),
      name: name,
      tags: ["etl", "nightly"],
      createdBy: "tester",
      updatedBy: "tester",
      createdAt: 1_000,
      updatedAt: 1_000
    )
  }

  @Test("the repositories work through row-level security, and each tenant sees only its own")
  func repositories() async throws {
    try await Self.withDatabase { _, store in
      let alpha = sampleTenant("alpha")
      let beta = sampleTenant("beta")
      let limits = PlanCatalog.standard.limits[.enterprise]!
      let flow = Self.workflow(in: alpha, name: "Nightly load")
      try await store.write { tx in
        try tx.tenants.create(alpha)
        try tx.tenants.create(beta)
      }
      try await store.write { tx in
        try tx.scoped(TenantScope(alpha.id)).workflows.create(
          flow,
          definition: #"{"nodes": []}"#,
          changeDescription: "first",
          limits: limits
        )
      }
      let (found, others, tagged, storage) = try await store.read { tx in
        let alphaRepos = try tx.scoped(TenantScope(alpha.id))
        let found = try alphaRepos.workflows.find(id: flow.id)
        var filter = WorkflowFilter()
        filter.tag = "nightly"
        let tagged = try alphaRepos.workflows.list(filter, after: nil, limit: 10).0
        let storage = try alphaRepos.usage.used(.storageBytes, now: 0).used
        let others = try tx.scoped(TenantScope(beta.id)).workflows.find(id: flow.id)
        return (found, others, tagged, storage)
      }
      #expect(found?.name == "Nightly load")
      #expect(found?.tags == ["etl", "nightly"])
      #expect(others == nil, "another tenant's workflow is not found")
      #expect(tagged.map(\.id) == [flow.id])
      #expect(storage == Int64(#"{"nodes": []}"#.utf8.count), "the trigger counted the definition")
    }
  }

  @Test("emails are unique per tenant whatever their case, and a clash names its column")
  func uniqueness() async throws {
    try await Self.withDatabase { _, store in
      let alpha = sampleTenant("alpha")
      let beta = sampleTenant("beta")
      try await store.write { tx in
        try tx.tenants.create(alpha)
        try tx.tenants.create(beta)
      }
      await #expect(throws: DomainError.alreadyExists(resource: "tenant", field: "slug")) {
        try await store.write { tx in try tx.tenants.create(sampleTenant("alpha")) }
      }
      @Sendable func user(_ tenant: Tenant, _ email: String, _ username: String) -> User {
        User(
          tenantID: tenant.id,
          id: .generate(),
          email: email,
          username: username,
          displayName: "",
          role: .member,
          status: .active,
          createdAt: 1_000,
          updatedAt: 1_000
        )
      }
      let limits = PlanCatalog.standard.limits[.enterprise]!
      try await store.write { tx in
        try tx.scoped(TenantScope(alpha.id)).users.create(
          user(alpha, "Bob@Example.com", "bob"),
          passwordHash: "x",
          limits: limits
        )
      }
      await #expect(throws: DomainError.alreadyExists(resource: "user", field: "email")) {
        try await store.write { tx in
          try tx.scoped(TenantScope(alpha.id)).users.create(
            user(alpha, "bob@example.COM", "robert"),
            passwordHash: "x",
            limits: limits
          )
        }
      }
      // Another tenant may use the same address; a login finds its user whatever the case.
      try await store.write { tx in
        try tx.scoped(TenantScope(beta.id)).users.create(
          user(beta, "bob@example.com", "bob"),
          passwordHash: "x",
          limits: limits
        )
      }
      let found = try await store.read { tx in
        try tx.scoped(TenantScope(alpha.id)).users.find(login: "BOB@example.com")?.user.tenantID
      }
      #expect(found == alpha.id)
    }
  }

  @Test("row-level security holds as the application role with our code bypassed")
  func rowLevelSecurity() async throws {
    try await Self.withDatabase { database, store in
      let alpha = sampleTenant("alpha")
      let beta = sampleTenant("beta")
      let flow = Self.workflow(in: alpha, name: "Secret")
      try await store.write { tx in
        try tx.tenants.create(alpha)
        try tx.tenants.create(beta)
      }
      try await store.write { tx in
        let scoped = try tx.scoped(TenantScope(alpha.id))
        try scoped.workflows.create(
          flow,
          definition: "{}",
          changeDescription: "",
          limits: PlanCatalog.standard.limits[.enterprise]!
        )
        try scoped.audit.append(
          AuditEntry(
            tenantID: alpha.id,
            occurredAt: 1_000,
            actorType: .system,
            actorID: "test",
            action: "workflow.created",
            resourceType: "workflow",
            resourceID: flow.id.rawValue
          )
        )
      }
      func asServer(_ sql: String) throws -> String {
        try database.psql(sql, user: "thaiyyal_server").trimmingCharacters(
          in: .whitespacesAndNewlines
        )
      }
      let a = alpha.id.rawValue
      let b = beta.id.rawValue
      #expect(try asServer("SELECT count(*) FROM workflows") == "0", "no tenant set: no rows")
      #expect(try asServer("SELECT count(*) FROM audit_logs") == "0")
      #expect(
        try asServer("SET app.tenant_id = '\(b)'; SELECT count(*) FROM workflows") == "0",
        "as tenant B, none of A's rows"
      )
      #expect(try asServer("SET app.tenant_id = '\(a)'; SELECT count(*) FROM workflows") == "1")
      #expect(throws: TestPostgresError.self, "an INSERT carrying another tenant's id is refused") {
        try asServer(
          """
          SET app.tenant_id = '\(b)';
          INSERT INTO workflows (tenant_id, id, name, visibility, latest_version, created_by,
            updated_by, created_at, updated_at) VALUES ('\(a)', 'x', 'x', 'team', 1, 'x', 'x', 0, 0)
          """
        )
      }
      #expect(
        try asServer("SET app.tenant_id = '\(b)'; UPDATE workflows SET name = 'owned' RETURNING id")
          == "",
        "an UPDATE sees none of another tenant's rows"
      )
      #expect(throws: TestPostgresError.self, "moving a row into another tenant is refused") {
        try asServer(
          "SET app.tenant_id = '\(a)'; UPDATE workflows SET tenant_id = '\(b)' WHERE id = '\(flow.id.rawValue)'"
        )
      }
      #expect(throws: TestPostgresError.self, "the audit log refuses UPDATE") {
        try asServer("SET app.tenant_id = '\(a)'; UPDATE audit_logs SET reason = 'x'")
      }
      #expect(throws: TestPostgresError.self, "the audit log refuses DELETE") {
        try asServer("SET app.tenant_id = '\(a)'; DELETE FROM audit_logs")
      }
      #expect(
        try asServer("SET app.tenant_id = '\(a)'; SELECT name FROM workflows") == "Secret",
        "nothing above changed the row"
      )
    }
  }

  @Test("the server refuses a role that row-level security would not bind")
  func unsafeRoles() async throws {
    let database = try await TestPostgresDatabase.make()
    defer { database.drop() }
    for user in ["thaiyyal_owner", "postgres"] {
      let store = PostgresStore(
        configuration: PostgresStoreConfiguration(url: database.url(user: user)),
        logger: Logger(label: "test")
      )
      defer { try? store.close() }
      await #expect {
        try await store.checkReadyToServe()
      } throws: { error in
        if case .unsafeDatabaseRole = error as? StoreError { return true }
        return false
      }
    }
  }

  @Test("a database behind this binary's migrations is refused until migrated")
  func pendingMigrations() async throws {
    guard let directory = TestPostgresDatabase.socketDirectory else { return }
    let name = "t_pending_" + UUID().uuidString.prefix(8).lowercased()
    try TestPostgresDatabase.psql(directory, "CREATE DATABASE \(name) OWNER thaiyyal_owner")
    let database = TestPostgresDatabase(name: name, socketDirectory: directory)
    defer { database.drop() }
    let store = PostgresStore(
      configuration: PostgresStoreConfiguration(url: database.serverURL),
      logger: Logger(label: "test")
    )
    defer { try? store.close() }
    await #expect {
      try await store.checkReadyToServe()
    } throws: { error in
      if case .migrationsPending(let pending) = error as? StoreError {
        return pending == embeddedPostgresMigrations.map(\.identifier)
      }
      return false
    }
  }
}

/// Under CI the PostgreSQL tests must run: a missing cluster fails here instead of skipping them.
@Test("under CI the PostgreSQL cluster is present")
func postgresPresentUnderCI() {
  if ProcessInfo.processInfo.environment["CI"] != nil {
    #expect(TestPostgresDatabase.available, "run the tests under scripts/with-postgres")
  }
}
