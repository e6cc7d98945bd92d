import Foundation
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalTesting

@testable import ThaiyyalServer

/// The operator's HTTP endpoint's answers, and the bound on per-tenant series.
@Suite("Observability endpoint")
struct ObservabilityTests {
  @Test("routes: health, readiness with its reasons, 404 and 405")
  func routes() async throws {
    try await withTestServer(.inProcess) { server in
      let ready = server.application.observabilityRoutes
      #expect(await ready.respond(method: "GET", uri: "/healthz").status == 200)
      #expect(await ready.respond(method: "GET", uri: "/readyz?verbose=1").body == "ready\n")
      #expect(await ready.respond(method: "HEAD", uri: "/metrics").status == 200)
      #expect(await ready.respond(method: "GET", uri: "/admin").status == 404)
      #expect(await ready.respond(method: "DELETE", uri: "/healthz").status == 405)
      let draining = ObservabilityRoutes(exposition: ready.exposition, unready: { ["draining"] })
      let answer = await draining.respond(method: "GET", uri: "/readyz")
      #expect(answer.status == 503 && answer.body == "not ready: draining\n")
    }
  }

  @Test("per-tenant series are bounded: the largest tenants by name, the rest summed as _other")
  func boundedTenants() async throws {
    try await withTestServer(.inProcess) { server in
      let operatorClient = server.makeClient()
      let count = MetricsExposition.maxTenants + 5
      for index in 0 ..< count {
        _ = try await operatorClient.tenants.createTenant(
          createTenantRequest("tenant-\(index)", plan: .free)
        )
      }
      let text = await server.application.observabilityRoutes.exposition.render()
      let users = text.split(separator: "\n").filter { $0.hasPrefix("thaiyyal_tenant_users_used{") }
      #expect(users.count == MetricsExposition.maxTenants + 1)
      // Each tenant has its owner: the rest are 5 tenants of one user each.
      #expect(users.contains("thaiyyal_tenant_users_used{tenant=\"_other\"} 5"))
      #expect(text.contains("thaiyyal_tenants \(count)\n"))
    }
  }
}
