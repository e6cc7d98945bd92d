import Synchronization
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// The last link of the chain: a token bucket per tenant, sized by the tenant's plan
/// (`rate_limit_per_second` sustained, `rate_limit_burst` at once). An empty bucket answers
/// `RESOURCE_EXHAUSTED` with `RetryInfo` saying when a token will be available.
///
/// Calls without a tenant (health checks, the operator's platform calls) are not limited.
struct RateLimitInterceptor: ServerInterceptor {
  let buckets = TokenBuckets<TenantID>()

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    guard let call = context.tenantCall, !call.principal.isOperator else {
      return try await next(payload, context)
    }
    let (tenant, limits) = (call.tenant, call.limits)
    let rate = limits.rateLimitPerSecond ?? -1
    if rate >= 0 {
      let burst = max(1, limits.rateLimitBurst ?? rate)
      if let wait = buckets.take(tenant.id, rate: Double(rate), burst: Double(burst), now: .now) {
        throw RPCError.retryLater(
          "rate limit of tenant \(tenant.slug) exceeded (\(rate)/s, burst \(burst)); retry after \(wait)",
          reason: "RATE_LIMITED",
          metadata: ["limit": String(rate), "burst": String(burst)],
          after: wait
        )
      }
    }
    return try await next(payload, context)
  }
}
