import Foundation
import Prometheus
import ThaiyyalCore
import ThaiyyalStore

/// What the observability endpoint answers: `/metrics` (Prometheus text), `/healthz` (the process
/// serves) and `/readyz` (the database answers and the server is not draining). Everything else is
/// 404; methods other than GET and HEAD are 405.
struct ObservabilityRoutes: Sendable {
  struct Response: Sendable, Equatable {
    var status: Int
    var contentType = "text/plain; charset=utf-8"
    var body: String
  }

  let exposition: MetricsExposition
  /// Why the server is not ready to take calls; empty when it is.
  let unready: @Sendable () async -> [String]

  func respond(method: String, uri: String) async -> Response {
    let path = uri.prefix { $0 != "?" }
    guard method == "GET" || method == "HEAD" else {
      return Response(status: 405, body: "method not allowed\n")
    }
    switch path {
    case "/healthz":
      return Response(status: 200, body: "ok\n")
    case "/readyz":
      let reasons = await unready()
      return reasons.isEmpty
        ? Response(status: 200, body: "ready\n")
        : Response(status: 503, body: "not ready: " + reasons.joined(separator: "; ") + "\n")
    case "/metrics":
      return Response(
        status: 200,
        contentType: "text/plain; version=0.0.4; charset=utf-8",
        body: await exposition.render()
      )
    default:
      return Response(status: 404, body: "not found (try /metrics, /healthz or /readyz)\n")
    }
  }
}

/// The `/metrics` text: every swift-metrics series the server records (calls, executions,
/// database transactions), as the Prometheus factory collected them, and per-tenant usage read
/// from the database at scrape time.
///
/// Per-tenant series are bounded: the ``maxTenants`` tenants with the most stored bytes get a
/// `tenant` label each; the rest are summed under `tenant="_other"`, so a server with 100,000
/// tenants exports at most ``maxTenants`` + 1 series per metric.
struct MetricsExposition: Sendable {
  let registry: PrometheusCollectorRegistry?
  let store: any Persistence
  let plans: PlanCatalog
  let clock: WallClock
  let scheduler: ExecutionScheduler
  static let maxTenants = 50

  func render() async -> String {
    var text = registry?.emitToString() ?? ""
    let (queued, running) = await scheduler.load
    text += Self.family(
      "thaiyyal_executions_queued",
      "gauge",
      "Executions waiting for a worker on this server.",
      [("", Double(queued))]
    )
    text += Self.family(
      "thaiyyal_executions_running",
      "gauge",
      "Executions running on this server.",
      [("", Double(running))]
    )
    if let usage = try? await tenantUsage() { text += usage }
    return text
  }

  /// One tenant's usage, and its room under its plan (-1: unlimited).
  struct TenantUsage {
    var slug: String
    var used: [Quota: Int64]
    var headroom: [Quota: Int64]
  }

  private func tenantUsage() async throws -> String {
    let now = clock.nowMilliseconds()
    let plans = self.plans
    var usages = try await store.read { tx -> [TenantUsage] in
      try tx.tenants.all().filter { $0.status != .deleted }.map { tenant in
        let scoped = try tx.scoped(CrossTenantAccess.scope(of: tenant.id, for: .metrics))
        let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
        var usage = TenantUsage(slug: tenant.slug, used: [:], headroom: [:])
        for quota in Quota.allCases {
          let used = try scoped.usage.used(quota, now: now).used
          let limit = quota.limit(in: limits)
          usage.used[quota] = used
          usage.headroom[quota] = limit < 0 ? -1 : max(0, limit - used)
        }
        return usage
      }
    }
    usages.sort { ($0.used[.storageBytes] ?? 0, $1.slug) > ($1.used[.storageBytes] ?? 0, $0.slug) }
    let named = usages.prefix(Self.maxTenants)
    let rest = usages.dropFirst(Self.maxTenants)
    var text = ""
    for quota in Quota.allCases {
      var samples = named.map { (Self.label($0.slug), Double($0.used[quota] ?? 0)) }
      if !rest.isEmpty {
        samples.append(("tenant=\"_other\"", Double(rest.reduce(0) { $0 + ($1.used[quota] ?? 0) })))
      }
      text += Self.family(
        "thaiyyal_tenant_\(quota.rawValue)_used",
        "gauge",
        "Each tenant's use of its \(quota.rawValue) quota (the largest tenants by storage; the rest summed as _other).",
        samples
      )
      text += Self.family(
        "thaiyyal_tenant_\(quota.rawValue)_headroom",
        "gauge",
        "What is left of each tenant's \(quota.rawValue) quota; -1 when unlimited.",
        named.map { (Self.label($0.slug), Double($0.headroom[quota] ?? 0)) }
      )
    }
    text += Self.family(
      "thaiyyal_tenants",
      "gauge",
      "Tenants that are not deleted.",
      [("", Double(usages.count))]
    )
    return text
  }

  /// A `tenant` label; slugs are lower-case letters, digits and hyphens, so need no escaping.
  static func label(_ slug: String) -> String { "tenant=\"\(slug)\"" }

  /// One metric family in the text format.
  static func family(
    _ name: String,
    _ type: String,
    _ help: String,
    _ samples: [(labels: String, value: Double)]
  ) -> String {
    var text = "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    for (labels, value) in samples {
      let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
      text += labels.isEmpty ? "\(name) \(number)\n" : "\(name){\(labels)} \(number)\n"
    }
    return text
  }
}
