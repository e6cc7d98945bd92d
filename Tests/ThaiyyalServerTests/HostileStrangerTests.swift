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
      // Finding 3: Health with `x-tenant: victim` spent the victim's allowance. It is served (it
      // costs no more than a refusal) and acts in no tenant.
      let health = await Self.outcomes(150) { _ = try await stranger.health.check(.init()) }
      #expect(health.allSatisfy { $0 == "OK" })
      // Other anonymous calls have the stranger's own limit.
      let start = ContinuousClock.now
      let flood = await Self.outcomes(150) {
        _ = try await stranger.workflows.listWorkflows(.init())
      }
      let allowed = Self.allowance(rate: 1, burst: 20, .now - start)
      #expect(flood.filter { $0 == "UNAUTHENTICATED" }.count <= allowed, "\(Set(flood))")
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
    #expect(Peer.host(of: "192.0.2.1:5000") == "192.0.2.1")
    #expect(Peer.host(of: "[::1]:5000") == "::1")
    #expect(Peer.host(of: "unknown") == "unknown")
  }
}

/// Finding 5 and 7: logins that hash passwords, and lockouts strangers could cause.
@Suite("Hostile logins")
struct HostileLoginTests {
  static func fewPasswordChecks(_ configuration: inout ServerConfiguration) {
    configuration.maxPendingPasswordChecks = 4
  }

  @Test("a stranger's wrong passwords lock only the stranger out, never the user")
  func strangerCannotLockUser() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let stranger = "198.51.100.9:1000"
      for _ in 0 ..< 10 {
        #expect(
          await code {
            try await fixture.login("acme", "owner", password: "wrong password!", from: stranger)
          } == .unauthenticated
        )
      }
      #expect(
        await code { try await fixture.login("acme", "owner", from: stranger) } == .unauthenticated,
        "the stranger's source is throttled, even with the right password"
      )
      _ = try await fixture.login("acme", "owner", from: "203.0.113.5:2000")
    }
  }

  @Test("failures from many sources lock the account; ResumeUser unlocks it and is audited")
  func accountLockAndUnlock() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      // 20 failures from 5 sources, 4 each: no source is throttled, the account locks.
      for source in 0 ..< 5 {
        for _ in 0 ..< 4 {
          _ = await code {
            try await fixture.login(
              "acme",
              "member",
              password: "wrong password!",
              from: "198.51.100.\(source):1"
            )
          }
        }
      }
      #expect(
        await code { try await fixture.login("acme", "member", from: "203.0.113.5:2000") }
          == .unauthenticated,
        "the account is locked"
      )
      let member = fixture.users[.member]!
      let resumed = try await fixture.client(.admin).users.resumeUser(.with { $0.id = member.id })
      #expect(resumed.status == .active)
      _ = try await fixture.login("acme", "member", from: "203.0.113.5:2000")
      let actions = try await fixture.client(.admin).audit.listAuditLogs(
        .with { $0.action = "user." }
      ).entries.map(\.action)
      #expect(actions.contains("user.locked"))
      #expect(actions.contains("user.unlocked"))
    }
  }

  @Test("a login flood is refused once the hashing queue is full; other tenants stay fast")
  func loginFlood() async throws {
    try await withTestServer(.inProcess, configure: Self.fewPasswordChecks) { server in
      let victim = try await Fixture.make(server, slug: "victim")
      _ = try await Fixture.make(server, slug: "target")
      let reader = victim.client(.member)
      let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
        for index in 0 ..< 48 {
          group.addTask {
            do {
              _ = try await victim.login(
                "target",
                "owner",
                password: "wrong password \(index)",
                from: "198.51.\(index).1:1"
              )
              return "OK"
            } catch let error as RPCError {
              return error.errorInfo?.reason ?? "\(error.code)"
            }
          }
        }
        let latency = try await HostileTenantTests.medianLatency {
          _ = try await reader.workflows.listWorkflows(.init())
        }
        #expect(latency < HostileTenantTests.latencyBound, "ListWorkflows p50 \(latency)")
        var outcomes: [String] = []
        for try await outcome in group { outcomes.append(outcome) }
        return outcomes
      }
      #expect(outcomes.contains("PASSWORD_CHECKS_BUSY"), "\(Set(outcomes))")
      #expect(outcomes.allSatisfy { ["PASSWORD_CHECKS_BUSY", "INVALID_CREDENTIALS"].contains($0) })
    }
  }
}
