import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

@Suite("Role matrix")
struct RoleMatrixTests {
  /// Whether `role` may call a method under `policy`, by the table's rules.
  static func allowed(_ policy: AccessPolicy, _ role: Role) -> Bool {
    switch policy.rule {
    case .public, .authenticated: true
    case .operator: false
    case .member(let minimum): role >= minimum
    }
  }

  @Test(
    "every method × every role is allowed or PERMISSION_DENIED exactly as the table says",
    arguments: [TestTransport.inProcess, .unixSocket]
  )
  func matrix(_ transport: TestTransport) async throws {
    try await withTestServer(transport) { server in
      let fixture = try await Fixture.make(server)
      let clients = Dictionary(
        uniqueKeysWithValues: Role.allCases.map { ($0, fixture.client($0)) }
      )
      let transport = { (role: Role) in clients[role]!.transport }
      // Logout revokes the caller's token, so it goes last.
      let methods = AccessPolicies.table.keys.sorted { a, b in
        (a.method == "Logout" ? 1 : 0, a.fullName) < (b.method == "Logout" ? 1 : 0, b.fullName)
      }
      for method in methods {
        let policy = AccessPolicies.table[method]!
        for role in Role.allCases {
          let outcome: RPCError.Code?
          do {
            _ = try await transport(role).unary(method, payload: [], options: .default)
            outcome = nil
          } catch let error as RPCError {
            outcome = error.code
          }
          if policy.rule == .public {
            // Login with an empty request legitimately answers UNAUTHENTICATED (bad credentials).
            #expect(
              outcome != .permissionDenied,
              "\(method) as \(role): \(String(describing: outcome))"
            )
          } else if Self.allowed(policy, role) {
            #expect(
              outcome != .permissionDenied && outcome != .unauthenticated,
              "\(method) as \(role): \(String(describing: outcome))"
            )
          } else {
            #expect(
              outcome == .permissionDenied,
              "\(method) as \(role) must be refused, got \(String(describing: outcome))"
            )
          }
        }
      }
    }
  }

  @Test("admins manage users but not owners; only owners make owners")
  func ownersAreProtected() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let admin = fixture.client(.admin)
      let ownerID = fixture.users[.owner]!.id
      #expect(
        await code { try await admin.users.suspendUser(.with { $0.id = ownerID }) }
          == .permissionDenied
      )
      var makeOwner = Thaiyyal_V1_CreateUserRequest()
      makeOwner.email = "second@acme.example.com"
      makeOwner.username = "second"
      makeOwner.role = .owner
      makeOwner.password = Fixture.password
      #expect(await code { try await admin.users.createUser(makeOwner) } == .permissionDenied)
      let second = try await fixture.client(.owner).users.createUser(makeOwner)
      #expect(second.role == .owner)
      var makeMember = makeOwner
      makeMember.email = "m2@acme.example.com"
      makeMember.username = "m2"
      makeMember.role = .member
      let created = try await admin.users.createUser(makeMember)
      #expect(try await admin.users.suspendUser(.with { $0.id = created.id }).status == .suspended)
    }
  }

  @Test("the last active owner cannot be demoted, suspended or deleted")
  func lastOwner() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let owner = fixture.client(.owner)
      let ownerID = fixture.users[.owner]!.id
      var demote = Thaiyyal_V1_UpdateUserRequest()
      demote.user.id = ownerID
      demote.user.role = .admin
      demote.updateMask.paths = ["role"]
      #expect(await code { try await owner.users.updateUser(demote) } == .failedPrecondition)
      #expect(
        await code { try await owner.users.suspendUser(.with { $0.id = ownerID }) }
          == .failedPrecondition
      )
      #expect(
        await code { try await owner.users.deleteUser(.with { $0.id = ownerID }) }
          == .failedPrecondition
      )
      #expect(try await owner.users.whoAmI().user.role == .owner)
    }
  }

  @Test("users read and edit themselves; members cannot edit others")
  func selfService() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let member = fixture.client(.member)
      var rename = Thaiyyal_V1_UpdateUserRequest()
      rename.user.id = fixture.users[.member]!.id
      rename.user.displayName = "Mem Ber"
      rename.updateMask.paths = ["display_name"]
      #expect(try await member.users.updateUser(rename).displayName == "Mem Ber")
      rename.updateMask.paths = ["role"]
      rename.user.role = .owner
      #expect(
        await code { try await member.users.updateUser(rename) } == .permissionDenied,
        "no self-promotion"
      )
      var other = Thaiyyal_V1_UpdateUserRequest()
      other.user.id = fixture.users[.viewer]!.id
      other.user.displayName = "x"
      other.updateMask.paths = ["display_name"]
      #expect(await code { try await member.users.updateUser(other) } == .permissionDenied)
    }
  }
}

@Suite("User service")
struct UserServiceTests {
  @Test("another tenant's user ids answer NOT_FOUND, never their contents")
  func isolation() async throws {
    try await withTestServer(.inProcess) { server in
      let alpha = try await Fixture.make(server, slug: "alpha")
      let beta = try await Fixture.make(server, slug: "beta")
      let betaUser = beta.users[.member]!.id
      let alphaOwner = alpha.client(.owner)
      #expect(
        await code { try await alphaOwner.users.getUser(.with { $0.id = betaUser }) } == .notFound
      )
      #expect(
        await code { try await alphaOwner.users.suspendUser(.with { $0.id = betaUser }) }
          == .notFound
      )
      #expect(
        await code { try await alphaOwner.users.deleteUser(.with { $0.id = betaUser }) }
          == .notFound
      )
      let listed = try await alphaOwner.users.listUsers().users.map(\.id)
      #expect(!listed.contains(betaUser))
      #expect(listed.count == 4)
      // The operator aims at beta explicitly and sees it.
      let seen = try await beta.operatorClient.users.getUser(
        .with { $0.id = betaUser },
        options: CallOptions(metadata: ["x-tenant": "beta"])
      )
      #expect(seen.id == betaUser)
    }
  }

  @Test("login by email or username; unknown users and wrong passwords get the same answer")
  func login() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      _ = try await fixture.login("acme", "member@acme.example.com")
      _ = try await fixture.login("acme", "MEMBER")
      var errors: [RPCError] = []
      for (tenant, login, password) in [
        ("acme", "member", "wrong password!"), ("acme", "nobody", Fixture.password),
        ("nope", "member", Fixture.password),
      ] {
        do {
          _ = try await fixture.login(tenant, login, password: password)
        } catch let error as RPCError {
          errors.append(error)
        }
      }
      #expect(errors.count == 3)
      #expect(Set(errors.map(\.code)) == [.unauthenticated])
      #expect(Set(errors.map(\.message)).count == 1, "no hint which part was wrong")
    }
  }

  @Test(
    "five failures in a row lock their source out for the lockout period; the clock ends it"
  )
  func lockout() async throws {
    let clock = TestClock()
    let configure: (inout ServerConfiguration) -> Void = { $0.clock = clock.wallClock }
    try await withTestServer(.inProcess, configure: configure) { server in
      let fixture = try await Fixture.make(server)
      for _ in 0 ..< 5 {
        #expect(
          await code { try await fixture.login("acme", "member", password: "wrong password!") }
            == .unauthenticated
        )
      }
      #expect(
        await code { try await fixture.login("acme", "member") } == .unauthenticated,
        "locked: even the right password fails"
      )
      clock.advance(by: .seconds(14 * 60))
      #expect(await code { try await fixture.login("acme", "member") } == .unauthenticated)
      clock.advance(by: .seconds(2 * 60))
      _ = try await fixture.login("acme", "member")
      let audit = try await fixture.client(.admin).audit.listAuditLogs(
        .with { $0.action = "user." }
      )
      #expect(!audit.entries.contains { $0.action == "user.locked" }, "one source locks no account")
      let failures = audit.entries.filter { $0.action == "user.login" && $0.outcome == .failure }
      #expect(failures.count == 5, "throttled attempts cost nothing, not even an audit write")
      #expect(
        !audit.entries.contains { $0.detailsJson.contains("wrong password!") },
        "passwords never reach the log"
      )
    }
  }

  @Test("a tenant's calls past its rate limit answer RESOURCE_EXHAUSTED with RetryInfo")
  func rateLimit() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      var update = Thaiyyal_V1_UpdateTenantRequest()
      update.tenant.slug = "acme"
      update.tenant.limitOverrides.rateLimitPerSecond = 1
      update.tenant.limitOverrides.rateLimitBurst = 3
      update.updateMask.paths = ["limit_overrides"]
      _ = try await fixture.operatorClient.tenants.updateTenant(update)
      let member = fixture.client(.member)
      var refusal: RPCError?
      for _ in 0 ..< 10 {
        do {
          _ = try await member.users.whoAmI()
        } catch let error as RPCError {
          refusal = error
          break
        }
      }
      let error = try #require(refusal)
      #expect(error.code == .resourceExhausted)
      #expect(error.errorInfo?.reason == "RATE_LIMITED")
      #expect(error.retryInfo != nil)
    }
  }

  @Test("refused calls are audited in the tenant they aimed at, with the reason")
  func deniedCallsAudited() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      _ = await code { try await fixture.client(.viewer).users.createUser() }
      _ = await code {
        try await server.makeClient(remote: true).users.listUsers(
          options: CallOptions(metadata: ["x-tenant": "acme"])
        )
      }
      let entries = try await fixture.client(.admin).audit.listAuditLogs(
        .with { $0.action = "auth.denied" }
      ).entries
      #expect(
        entries.contains {
          $0.resourceID.hasSuffix("CreateUser") && $0.reason.hasPrefix("PERMISSION_DENIED")
        }
      )
      #expect(
        entries.contains { $0.actorType == .anonymous && $0.reason.hasPrefix("UNAUTHENTICATED") }
      )
      #expect(entries.allSatisfy { $0.outcome == .denied && !$0.requestID.isEmpty })
    }
  }

  @Test("a suspended tenant is read-only for its users")
  func suspendedTenant() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      _ = try await fixture.operatorClient.tenants.suspendTenant(.with { $0.tenant = "acme" })
      let admin = fixture.client(.admin)
      #expect(try await admin.users.listUsers().users.count == 4, "reads still work")
      do {
        _ = try await admin.users.suspendUser(.with { $0.id = fixture.users[.viewer]!.id })
        Issue.record("a write in a suspended tenant was accepted")
      } catch let error as RPCError {
        #expect(error.code == .failedPrecondition)
        #expect(error.errorInfo?.reason == "TENANT_SUSPENDED")
      }
    }
  }

  @Test("users count against the plan's user quota")
  func userQuota() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server, plan: .free)
      var request = Thaiyyal_V1_CreateUserRequest()
      request.email = "fifth@acme.example.com"
      request.username = "fifth"
      request.password = Fixture.password
      _ = try await fixture.client(.admin).users.createUser(request)
      request.email = "sixth@acme.example.com"
      request.username = "sixth"
      do {
        _ = try await fixture.client(.admin).users.createUser(request)
        Issue.record("the sixth user of a free tenant was accepted")
      } catch let error as RPCError {
        #expect(error.code == .resourceExhausted)
        #expect(error.errorInfo?.reason == "QUOTA_EXCEEDED")
        #expect(error.errorInfo?.metadata["limit"] == "5")
      }
    }
  }
}

@Suite("Suspended tenants")
struct SuspendedTenantTests {
  @Test(
    "owners cannot change a suspended tenant's settings; the operator can resume it; logins still work"
  )
  func ownerAndOperator() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      _ = try await fixture.operatorClient.tenants.suspendTenant(.with { $0.tenant = "acme" })
      var rename = Thaiyyal_V1_UpdateTenantRequest()
      rename.tenant.slug = "acme"
      rename.tenant.name = "Renamed"
      rename.updateMask.paths = ["name"]
      #expect(
        await code { try await fixture.client(.owner).tenants.updateTenant(rename) }
          == .failedPrecondition
      )
      _ = try await fixture.login("acme", "viewer")
      let resumed = try await fixture.operatorClient.tenants.resumeTenant(
        .with { $0.tenant = "acme" }
      )
      #expect(resumed.status == .active)
      #expect(try await fixture.client(.owner).tenants.updateTenant(rename).name == "Renamed")
    }
  }
}
