import Metrics
import MetricsTestKit
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@Suite("Call metrics")
struct ObserveMetricsTests {
  @Test("every call counts by method and status code, and its duration is timed")
  func countsAndTimes() async throws {
    let metrics = TestMetrics()
    try await withMetricsFactory(metrics) {
      try await withTestServer(.inProcess) { server in
        let client = server.makeClient()
        _ = try await client.health.check()
        _ = try await client.health.check()
        _ = await code { try await client.tenants.getTenant(.with { $0.tenant = "missing" }) }
      }
    }
    let ok = try metrics.expectCounter(
      "thaiyyal_rpc_requests_total",
      [("service", "thaiyyal.v1.Health"), ("method", "thaiyyal.v1.Health/Check"), ("code", "OK")]
    )
    #expect(ok.totalValue == 2)
    let notFound = try metrics.expectCounter(
      "thaiyyal_rpc_requests_total",
      [
        ("service", "thaiyyal.v1.TenantService"), ("method", "thaiyyal.v1.TenantService/GetTenant"),
        ("code", "NOT_FOUND"),
      ]
    )
    #expect(notFound.totalValue == 1)
    let timer = try metrics.expectTimer(
      "thaiyyal_rpc_duration_seconds",
      [("service", "thaiyyal.v1.Health"), ("method", "thaiyyal.v1.Health/Check")]
    )
    #expect(timer.values.count == 2)
    #expect(timer.values.allSatisfy { $0 > 0 })
  }
}
