import Foundation
import SwiftProtobuf
import Synchronization
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

/// What a caller without credentials can do to tenants (issue 11, findings 3, 6 and 11).
///
/// The per-peer limit is set low (1 call a second, bursts of 20) so that the bounds hold however
/// slowly a busy machine runs the flood: each bound is the burst plus the rate times the seconds
/// the flood took.
@Suite("Hostile strangers")
struct HostileStrangerTests {
  static func strictPeers(_ configuration: inout ServerConfiguration) {
    configuration.anonymousCallsPerSecond = 1
    configuration.anonymousBurst = 20
  }

  /// What a bucket of `rate` and `burst` can let through in `elapsed`, with one to spare.
  static func allowance(rate: Double, burst: Double, _ elapsed: Duration) -> Int {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Int(burst + rate * seconds.rounded(.up)) + 1
  }

  /// The code and ErrorInfo reason of each of `count` calls.
  static func outcomes(
    _ count: Int,
    _ call: () async throws -> Void
  ) async -> [String] {
    var outcomes: [String] = []
    for _ in 0 ..< count {
      do {
        try await call()
        outcomes.append("OK")
      } catch let error as RPCError {
        outcomes.append(error.errorInfo?.reason ?? "\(error.code)")
      } catch {
        outcomes.append("\(error)")
      }
    }
    return outcomes
  }

  @Test("anonymous calls naming a tenant do not spend its rate limit or learn that it exists")
  func anonymousCallsDoNotSpendTenantAllowance() async throws {
    try await withTestServer(.inProcess, configure: Self.strictPeers) { server in
      let victim = try await Fixture.make(server, slug: "victim", plan: .free)  // 20/s, burst 40
      let stranger = server.makeClient(
        tenant: "victim",
        remote: true,
        peerAddress: "198.51.100.7:4000"
      )
      let start = ContinuousClock.now
      let flood = await Self.outcomes(150) { _ = try await stranger.health.check(.init()) }
      let allowed = Self.allowance(rate: 1, burst: 20, .now - start)
      #expect(flood.filter { $0 == "OK" }.count <= allowed, "the stranger's own limit")
      #expect(flood.filter { $0 == "PEER_RATE_LIMITED" }.count >= 150 - allowed)
      // The victim's owner still has its whole burst.
      let owner = victim.client(.owner)
      let own = await Self.outcomes(30) { _ = try await owner.users.whoAmI(.init()) }
      #expect(own.allSatisfy { $0 == "OK" }, "\(own)")

      // An existing and an unknown tenant look the same to a stranger.
      for slug in ["victim", "no-such-tenant"] {
        let probe = server.makeClient(tenant: slug, remote: true, peerAddress: "203.0.113.9:1")
        #expect(try await probe.health.check(.init()).status == .serving, "\(slug)")
      }
    }
  }

  @Test("a flood of bad tokens is refused before verification; other peers and tenants are served")
  func badTokenFloodIsRefusedCheaply() async throws {
    try await withTestServer(.inProcess, configure: Self.strictPeers) { server in
      let victim = try await Fixture.make(server, slug: "victim")
      let forger = server.makeClient(
        token: "not.a.token",
        tenant: "victim",
        remote: true,
        peerAddress: "198.51.100.8:4000"
      )
      let start = ContinuousClock.now
      let flood = await Self.outcomes(300) {
        _ = try await forger.workflows.listWorkflows(.init())
      }
      let elapsed = ContinuousClock.now - start
      let verified = flood.filter { $0 == "TOKEN_INVALID" }.count
      #expect(verified <= Self.allowance(rate: 1, burst: 20, elapsed))
      #expect(verified + flood.filter { $0 == "PEER_RATE_LIMITED" }.count == 300)
      // The victim's audit log took a bounded number of auth.denied entries, not one per call.
      let denied = try await victim.operatorClient.audit.listAuditLogs(
        .with { $0.action = "auth.denied" },
        options: CallOptions(metadata: ["x-tenant": "victim"])
      )
      #expect(denied.entries.count <= verified)
      // The victim, from another address, is served.
      let own = await Self.outcomes(10) {
        _ = try await victim.client(.member).workflows.listWorkflows(.init())
      }
      #expect(own.allSatisfy { $0 == "OK" }, "\(own)")
    }
  }

  @Test("log lines are sampled: at most the budget per second, then a count of what was left out")
  func logSampling() {
    let now = Mutex(ContinuousClock.now)
    let sampler = LogSampler(perSecond: 20, now: { now.withLock { $0 } })
    var written: [Int] = []
    for _ in 0 ..< 100 { sampler.sample { written.append($0) } }
    #expect(written == Array(repeating: 0, count: 20))
    now.withLock { $0 += .seconds(1) }
    sampler.sample { written.append($0) }
    #expect(written.last == 80)
  }

  @Test("the peer of a limit is the address without its port")
  func peerHost() {
    #expect(PeerLimitInterceptor.host(of: "192.0.2.1:5000") == "192.0.2.1")
    #expect(PeerLimitInterceptor.host(of: "[::1]:5000") == "::1")
    #expect(PeerLimitInterceptor.host(of: "unknown") == "unknown")
  }
}
