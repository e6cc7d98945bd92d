import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting

@testable import ThaiyyalServer

/// `multi_tenant.enabled: false`: the server serves one organisation, whose tenant it creates at
/// start; no call names a tenant, and no other tenant is reachable.
@Suite("One organisation")
struct SingleOrganisationTests {
  static func single(_ configuration: inout ServerConfiguration) {
    configuration.multiTenant = false
    configuration.defaultTenant = "our-team"
  }

  @Test(
    "the organisation's tenant exists from the start; the socket's owner adds users, who sign in naming no tenant"
  )
  func servesOneOrganisation() async throws {
    try await withTestServer(.inProcess, configure: Self.single) { server in
      // The operator (in process, as the socket's owner) acts in the tenant without naming it.
      let operatorClient = server.makeClient()
      let tenant = try await operatorClient.tenants.getTenant(.with { $0.tenant = "our-team" })
      #expect(tenant.plan == .enterprise && tenant.status == .active)
      let whoami = try await operatorClient.users.whoAmI(Thaiyyal_V1_WhoAmIRequest())
      #expect(whoami.tenantSlug == "our-team")
      let ada = try await operatorClient.users.createUser(
        .with {
          $0.email = "ada@example.com"
          $0.username = "ada"
          $0.role = .owner
          $0.password = Fixture.password
        }
      )
      #expect(ada.tenantID == tenant.id)
      let login = try await server.makeClient(remote: true).users.login(
        .with {
          $0.login = "ada"
          $0.password = Fixture.password
        }
      )
      let client = server.makeClient(token: login.accessToken, remote: true)
      let workflow = try await client.workflows.createWorkflow(
        .with {
          $0.name = "flow"
          $0.definitionJson = Definitions.sum
        }
      )
      #expect(
        try await operatorClient.workflows.getWorkflow(.with { $0.id = workflow.id }).name == "flow"
      )
      // Naming the organisation's tenant works too, by slug or id.
      _ = try await server.makeClient(remote: true).users.login(
        .with {
          $0.tenant = tenant.id
          $0.login = "ada"
          $0.password = Fixture.password
        }
      )

      // No second organisation: creating one is refused, and none other is reachable.
      let create = await failure {
        try await operatorClient.tenants.createTenant(createTenantRequest("other-team"))
      }
      #expect(create?.0 == .failedPrecondition)
      let elsewhere = await failure {
        try await server.makeClient(tenant: "other-team").workflows.listWorkflows(
          .with { $0.pageSize = 10 }
        )
      }
      #expect(elsewhere?.0 == .notFound)
      let wrongLogin = await failure {
        try await server.makeClient(remote: true).users.login(
          .with {
            $0.tenant = "other-team"
            $0.login = "ada"
            $0.password = Fixture.password
          }
        )
      }
      #expect(wrongLogin?.0 == .unauthenticated)
    }
  }

  @Test("starting again (or several servers at once) finds the tenant instead of making another")
  func createdOnce() async throws {
    try await withTestServer(.inProcess, configure: Self.single) { server in
      let store = server.application.store
      let first = try await store.read { tx in try tx.tenants.find("our-team") }
      let again = try await Tenants.ensureOrganisation("our-team", store: store, at: 1)
      #expect(again.id == first?.id)
      let all = try await store.read { tx in try tx.tenants.all() }
      #expect(all.count == 1)
      let page = try await server.makeClient().audit.listAuditLogs(.with { $0.pageSize = 100 })
      #expect(page.entries.map(\.action) == ["tenant.created"])
      #expect(page.entries.first?.actorType == .system)
    }
  }
}
