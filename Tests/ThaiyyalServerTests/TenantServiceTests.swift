import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalServer
import ThaiyyalTesting

/// Builds a valid CreateTenant request.
func createTenantRequest(
  _ slug: String,
  plan: Thaiyyal_V1_Plan = .free
) -> Thaiyyal_V1_CreateTenantRequest {
  var request = Thaiyyal_V1_CreateTenantRequest()
  request.slug = slug
  request.name = "Tenant \(slug)"
  request.plan = plan
  request.ownerEmail = "owner@\(slug).example.com"
  request.ownerUsername = "owner"
  request.ownerPassword = "correct horse battery staple"
  return request
}

/// The `RPCError` code thrown by `body`, or `nil` when it succeeded.
func code(_ body: () async throws -> some Any) async -> RPCError.Code? {
  do {
    _ = try await body()
    return nil
  } catch let error as RPCError {
    return error.code
  } catch {
    return .unknown
  }
}

@Suite("Tenant service")
struct TenantServiceTests {
  @Test("create returns the tenant and its owner; get finds it by id and by slug")
  func createAndGet() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      let created = try await client.tenants.createTenant(createTenantRequest("acme", plan: .pro))
      #expect(created.tenant.slug == "acme")
      #expect(created.tenant.status == .active)
      #expect(created.tenant.plan == .pro)
      #expect(created.tenant.effectiveLimits.maxUsers == 25)
      #expect(
        !created.tenant.hasLimitOverrides
          || created.tenant.limitOverrides == Thaiyyal_V1_PlanLimits()
      )
      #expect(created.owner.role == .owner)
      #expect(created.owner.tenantID == created.tenant.id)
      var byID = Thaiyyal_V1_GetTenantRequest()
      byID.tenant = created.tenant.id
      #expect(try await client.tenants.getTenant(byID).slug == "acme")
      var bySlug = Thaiyyal_V1_GetTenantRequest()
      bySlug.tenant = "acme"
      #expect(try await client.tenants.getTenant(bySlug).id == created.tenant.id)
    }
  }

  @Test("invalid input is refused with every problem listed")
  func validation() async throws {
    try await withTestServer(.inProcess) { server in
      var request = createTenantRequest("Bad Slug!")
      request.ownerEmail = "not-an-email"
      request.ownerPassword = "short"
      request.settingsJson = "[1, 2]"
      do {
        _ = try await server.makeClient().tenants.createTenant(request)
        Issue.record("expected INVALID_ARGUMENT")
      } catch let error as RPCError {
        #expect(error.code == .invalidArgument)
        let fields = Set(error.badRequest?.fieldViolations.map(\.field) ?? [])
        #expect(fields == ["slug", "owner_email", "owner_password", "settings_json"])
        #expect(!error.message.contains("short"), "the password never appears in errors")
      }
    }
  }

  @Test("a taken slug answers ALREADY_EXISTS and leaves nothing half-created")
  func duplicateSlug() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      _ = try await client.tenants.createTenant(createTenantRequest("acme"))
      #expect(
        await code { try await client.tenants.createTenant(createTenantRequest("acme")) }
          == .alreadyExists
      )
      #expect(try await client.tenants.listTenants().tenants.count == 1)
    }
  }

  @Test("list filters by status and plan and pages with opaque tokens")
  func listAndPage() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      for i in 0 ..< 7 {
        _ = try await client.tenants.createTenant(
          createTenantRequest("tenant-\(i)", plan: i < 3 ? .pro : .free)
        )
      }
      var request = Thaiyyal_V1_ListTenantsRequest()
      request.pageSize = 3
      var seen: [String] = []
      repeat {
        let page = try await client.tenants.listTenants(request)
        #expect(page.tenants.count <= 3)
        seen += page.tenants.map(\.slug)
        request.pageToken = page.nextPageToken
      } while !request.pageToken.isEmpty
      #expect(seen.count == 7)
      #expect(Set(seen).count == 7)
      var pro = Thaiyyal_V1_ListTenantsRequest()
      pro.plan = .pro
      #expect(try await client.tenants.listTenants(pro).tenants.count == 3)
      var bad = Thaiyyal_V1_ListTenantsRequest()
      bad.pageToken = "forged"
      #expect(await code { try await client.tenants.listTenants(bad) } == .invalidArgument)
    }
  }

  @Test("suspend, resume and delete move the status; a deleted tenant can only be purged")
  func lifecycle() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      _ = try await client.tenants.createTenant(createTenantRequest("acme"))
      var suspend = Thaiyyal_V1_SuspendTenantRequest()
      suspend.tenant = "acme"
      suspend.reason = "unpaid invoice"
      var get = Thaiyyal_V1_GetTenantRequest()
      get.tenant = "acme"
      #expect(try await client.tenants.getTenant(get).status == .active)
      #expect(try await client.tenants.suspendTenant(suspend).status == .suspended)
      #expect(
        try await client.tenants.getTenant(get).status == .suspended,
        "no stale cached tenant"
      )
      var resume = Thaiyyal_V1_ResumeTenantRequest()
      resume.tenant = "acme"
      #expect(try await client.tenants.resumeTenant(resume).status == .active)
      var purge = Thaiyyal_V1_PurgeTenantRequest()
      purge.tenant = "acme"
      #expect(await code { try await client.tenants.purgeTenant(purge) } == .failedPrecondition)
      var delete = Thaiyyal_V1_DeleteTenantRequest()
      delete.tenant = "acme"
      let deleted = try await client.tenants.deleteTenant(delete)
      #expect(deleted.status == .deleted)
      #expect(deleted.hasDeleteTime)
      #expect(await code { try await client.tenants.resumeTenant(resume) } == .failedPrecondition)
      #expect(
        try await client.tenants.listTenants().tenants.isEmpty,
        "deleted tenants are hidden by default"
      )
      var deletedOnly = Thaiyyal_V1_ListTenantsRequest()
      deletedOnly.status = .deleted
      #expect(try await client.tenants.listTenants(deletedOnly).tenants.map(\.slug) == ["acme"])
      let purged = try await client.tenants.purgeTenant(purge)
      #expect(purged.deletedRows["tenants"] == 1)
      #expect(purged.deletedRows["users"] == 1)
      #expect(await code { try await client.tenants.getTenant(get) } == .notFound)
      // The slug is free again.
      _ = try await client.tenants.createTenant(createTenantRequest("acme"))
    }
  }

  @Test("update changes only masked fields, checks the etag, and audits old and new values")
  func update() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      let created = try await client.tenants.createTenant(createTenantRequest("acme")).tenant
      var request = Thaiyyal_V1_UpdateTenantRequest()
      request.tenant.slug = "acme"
      request.tenant.name = "Acme Inc"
      request.tenant.plan = .enterprise
      request.tenant.limitOverrides.maxWorkflows = 3
      request.updateMask.paths = ["name", "limit_overrides"]
      request.etag = created.etag
      let updated = try await client.tenants.updateTenant(request)
      #expect(updated.name == "Acme Inc")
      #expect(updated.plan == .free, "plan was not in the mask")
      #expect(updated.effectiveLimits.maxWorkflows == 3)
      #expect(updated.effectiveLimits.maxUsers == 5)
      #expect(updated.etag != created.etag)
      #expect(
        await code { try await client.tenants.updateTenant(request) } == .aborted,
        "stale etag"
      )
      request.updateMask.paths = ["slug"]
      request.etag = ""
      #expect(await code { try await client.tenants.updateTenant(request) } == .invalidArgument)

      let audit = try await client.audit.listAuditLogs(
        Thaiyyal_V1_ListAuditLogsRequest(),
        options: CallOptions(metadata: ["x-tenant": "acme"])
      )
      let entry = try #require(audit.entries.first { $0.action == "tenant.updated" })
      let changes =
        try JSONSerialization.jsonObject(with: Data(entry.detailsJson.utf8))
        as? [String: [String: Any]]
      #expect(changes?["name"]?["old"] as? String == "Tenant acme")
      #expect(changes?["name"]?["new"] as? String == "Acme Inc")
      #expect(entry.actorType == .operator)
    }
  }

  @Test("usage reports every quota with its limit; the daily one has a reset time")
  func usage() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      _ = try await client.tenants.createTenant(createTenantRequest("acme"))
      var request = Thaiyyal_V1_GetUsageRequest()
      request.tenant = "acme"
      let usage = try await client.tenants.getUsage(request)
      let byName = Dictionary(uniqueKeysWithValues: usage.quotas.map { ($0.name, $0) })
      #expect(byName["users"]?.used == 1)
      #expect(byName["users"]?.limit == 5)
      #expect(byName["workflows"]?.used == 0)
      #expect(byName["executions_per_day"]?.hasResetTime == true)
      #expect(byName["storage_bytes"]?.limit == 100_000_000)
    }
  }

  @Test(
    "the audit log records creation in the tenant's own log, and never another tenant's entries"
  )
  func auditIsolation() async throws {
    try await withTestServer(.inProcess) { server in
      let client = server.makeClient()
      _ = try await client.tenants.createTenant(createTenantRequest("alpha"))
      _ = try await client.tenants.createTenant(createTenantRequest("beta"))
      let alpha = try await client.audit.listAuditLogs(
        options: CallOptions(metadata: ["x-tenant": "alpha"])
      )
      #expect(Set(alpha.entries.map(\.action)) == ["tenant.created", "user.created"])
      let beta = try await client.audit.listAuditLogs(
        options: CallOptions(metadata: ["x-tenant": "beta"])
      )
      #expect(Set(alpha.entries.map(\.tenantID)).isDisjoint(with: beta.entries.map(\.tenantID)))
      var get = Thaiyyal_V1_GetAuditLogRequest()
      get.id = beta.entries[0].id
      #expect(
        await code {
          try await client.audit.getAuditLog(
            get,
            options: CallOptions(metadata: ["x-tenant": "alpha"])
          )
        }
          == .notFound
      )
      #expect(
        await code { try await client.audit.listAuditLogs() } == .failedPrecondition,
        "no tenant named"
      )
      #expect(
        await code {
          try await client.audit.listAuditLogs(options: CallOptions(metadata: ["x-tenant": "nope"]))
        }
          == .notFound
      )
    }
  }
}

@Suite("Operator identity")
struct OperatorIdentityTests {
  @Test("over the Unix socket the server's own uid is the operator")
  func unixOperator() async throws {
    try await withTestServer(.unixSocket) { server in
      let client = server.makeClient()
      let created = try await client.tenants.createTenant(createTenantRequest("acme"))
      #expect(created.tenant.slug == "acme")
      await client.close()
    }
  }

  @Test("nothing on TCP is trusted as the operator")
  func tcpIsNotOperator() async throws {
    try await withTestServer(.tcp) { server in
      let client = server.makeClient()
      #expect(
        await code { try await client.tenants.createTenant(createTenantRequest("acme")) }
          == .unauthenticated
      )
      #expect(await code { try await client.tenants.listTenants() } == .unauthenticated)
      let health = try await client.health.check()
      #expect(health.status == .serving, "public methods still work")
      await client.close()
    }
  }

  @Test("a Unix-socket peer whose uid is not listed is not the operator")
  func otherUID() async throws {
    let someoneElse: (inout ServerConfiguration) -> Void = { $0.operatorUIDs = [4_000_000] }
    try await withTestServer(.unixSocket, configure: someoneElse) { server in
      let client = server.makeClient()
      #expect(await code { try await client.tenants.listTenants() } == .unauthenticated)
      await client.close()
    }
  }
}
