import ThaiyyalProto
import ThaiyyalRPC

/// Bounds what callers without an identity can cost everyone else, before any work is done for
/// them: per peer (a TCP address without its port, a Unix-socket uid), calls without credentials
/// and calls refused for their credentials share one token bucket. While a peer's bucket is empty,
/// every call it makes is refused at once with `RESOURCE_EXHAUSTED` (reason `PEER_RATE_LIMITED`),
/// without verifying a token, touching the database or writing an audit entry.
///
/// Tenants' own allowances are untouched: only a tenant's authenticated callers spend those
/// (``RateLimitInterceptor``). The operator's Unix-socket peers and in-process calls are exempt.
struct PeerLimitInterceptor: ServerInterceptor {
  let operatorUIDs: Set<UInt32>
  let rate: Double
  let burst: Double
  let buckets = TokenBuckets<String>()

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    guard let key = limitKey(context.peer) else { return try await next(payload, context) }
    // Without credentials a call takes a token; with them it only needs one to be left, and
    // takes one when the credentials are refused.
    if context.metadata[Metadata.WellKnown.authorization] == nil {
      if let wait = buckets.take(key, rate: rate, burst: burst, now: .now) { throw refusal(wait) }
      return try await next(payload, context)
    }
    if let wait = buckets.waitTime(key, rate: rate, burst: burst, now: .now) {
      throw refusal(wait)
    }
    do {
      return try await next(payload, context)
    } catch let error as RPCError where error.code == .unauthenticated {
      _ = buckets.take(key, rate: rate, burst: burst, now: .now)
      throw error
    }
  }

  /// Who a peer is for this limit, or nil when it is exempt.
  private func limitKey(_ peer: Peer) -> String? {
    switch peer {
    case .inProcess: return nil
    case .unixSocket(let credentials?) where operatorUIDs.contains(credentials.uid): return nil
    default: return peer.sourceKey
    }
  }

  private func refusal(_ wait: Duration) -> RPCError {
    RPCError.retryLater(
      "too many calls without valid credentials from this peer; retry after \(wait)",
      reason: "PEER_RATE_LIMITED",
      metadata: ["limit": String(Int(rate)), "burst": String(Int(burst))],
      after: wait
    )
  }
}
