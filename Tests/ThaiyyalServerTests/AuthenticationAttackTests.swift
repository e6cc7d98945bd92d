import Crypto
import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

/// Every way a caller might present a bad credential, each with the exact status it must get.
@Suite("Authentication attacks")
struct AuthenticationAttackTests {
  enum Attack: String, CaseIterable, Sendable {
    case noToken, notBearer, garbage, algNone, wrongKey, algorithmSwitched, expired, notYetValid
    case wrongIssuer, wrongAudience, unknownKeyID, otherTenantHeader, forgedTenantClaim,
      truncatedSignature, paddedSignature, flippedUnusedBits
  }

  /// The base64url character whose 6-bit value differs from `character`'s in its lowest bit: as
  /// the last character of a 32-byte signature (2 unused bits), it decodes to the same bytes.
  static func flippingLowBit(_ character: Character) -> Character {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return alphabet[alphabet.firstIndex(of: character)! ^ 1]
  }

  static func expected(_ attack: Attack) -> (RPCError.Code, String?) {
    switch attack {
    case .noToken: (.unauthenticated, nil)
    case .expired: (.unauthenticated, "TOKEN_EXPIRED")
    case .notYetValid: (.unauthenticated, "TOKEN_NOT_YET_VALID")
    case .otherTenantHeader: (.permissionDenied, "TENANT_MISMATCH")
    case .forgedTenantClaim: (.unauthenticated, "TOKEN_REVOKED")
    default: (.unauthenticated, "TOKEN_INVALID")
    }
  }

  @Test("each attack gets its exact status", arguments: Attack.allCases)
  func attack(_ attack: Attack) async throws {
    let clock = TestClock()
    let configure: (inout ServerConfiguration) -> Void = { $0.clock = clock.wallClock }
    try await withTestServer(.inProcess, configure: configure) { server in
      let fixture = try await Fixture.make(server)
      _ = try await Fixture.make(server, slug: "other")
      let valid = fixture.tokens[.member]!
      var metadata: Metadata = [:]
      var header: String?
      let now = clock.now / 1000
      switch attack {
      case .noToken:
        header = nil
      case .notBearer:
        header = "Basic \(valid)"
      case .garbage:
        header = "Bearer not.a.jwt"
      case .algNone:
        let head = base64url(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let body = String(valid.split(separator: ".")[1])
        header = "Bearer \(head).\(body)."
      case .wrongKey:
        let parts = valid.split(separator: ".")
        let key = SymmetricKey(data: Array("another key that is long enough to be used".utf8))
        let mac = HMAC<SHA256>.authenticationCode(
          for: Array("\(parts[0]).\(parts[1])".utf8),
          using: key
        )
        header = "Bearer \(parts[0]).\(parts[1]).\(base64url(Data(mac)))"
      case .algorithmSwitched:
        let parts = valid.split(separator: ".")
        let original =
          try JSONSerialization.jsonObject(with: Self.decode(parts[0])) as! [String: Any]
        var switched = original
        switched["alg"] = "HS512"
        let head = base64url(try JSONSerialization.data(withJSONObject: switched))
        header = "Bearer \(head).\(parts[1]).\(parts[2])"
      case .expired:
        clock.advance(by: .seconds(2 * 3600))
        header = "Bearer \(valid)"
      case .notYetValid:
        var claims = fixture.claims(.member, now: now)
        claims.nbf = now + 3600
        claims.iat = now + 3600
        header = "Bearer \(try await fixture.sign(claims))"
      case .wrongIssuer:
        var claims = fixture.claims(.member, now: now)
        claims.iss = "someone-else"
        header = "Bearer \(try await fixture.sign(claims))"
      case .wrongAudience:
        var claims = fixture.claims(.member, now: now)
        claims.aud = "another-service"
        header = "Bearer \(try await fixture.sign(claims))"
      case .unknownKeyID:
        let parts = valid.split(separator: ".")
        var fields = try JSONSerialization.jsonObject(with: Self.decode(parts[0])) as! [String: Any]
        fields["kid"] = "nope"
        header =
          "Bearer \(base64url(try JSONSerialization.data(withJSONObject: fields))).\(parts[1]).\(parts[2])"
      case .otherTenantHeader:
        header = "Bearer \(valid)"
        metadata.add("x-tenant", "other")
      case .forgedTenantClaim:
        // Signed with the real key, but claims the member belongs to the other tenant.
        var claims = fixture.claims(.member, now: now)
        let other = try await server.makeClient().tenants.getTenant(.with { $0.tenant = "other" })
        claims.tid = other.id
        header = "Bearer \(try await fixture.sign(claims))"
      case .truncatedSignature:
        header = "Bearer \(valid.dropLast(5))"
      case .paddedSignature:
        header = "Bearer \(valid)="
      case .flippedUnusedBits:
        header = "Bearer \(valid.dropLast())\(Self.flippingLowBit(valid.last!))"
      }
      if let header { metadata.add("authorization", header) }
      let client = server.makeClient(remote: true)
      let (code, reason) = Self.expected(attack)
      do {
        _ = try await client.users.listUsers(options: CallOptions(metadata: metadata))
        Issue.record("\(attack) was accepted")
      } catch let error as RPCError {
        #expect(error.code == code, "\(attack): \(error)")
        if let reason { #expect(error.errorInfo?.reason == reason, "\(attack): \(error)") }
      }
    }
  }

  @Test("a valid token is accepted, and the role in force is the user's current one")
  func valid() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let me = try await fixture.client(.member).users.whoAmI()
      #expect(me.user.role == .member)
      #expect(me.tenantSlug == "acme")
      #expect(!me.operator)
      var promote = Thaiyyal_V1_UpdateUserRequest()
      promote.user.id = fixture.users[.member]!.id
      promote.user.role = .admin
      promote.updateMask.paths = ["role"]
      _ = try await fixture.client(.owner).users.updateUser(promote)
      let promoted = try await fixture.client(.member).users.whoAmI()
      #expect(promoted.user.role == .admin, "the old token carries the new role at once")
    }
  }

  enum Revocation: String, CaseIterable, Sendable {
    case suspendedUser, deletedUser, loggedOut, passwordChanged, deletedTenant
  }

  @Test("tokens stop working the moment they are revoked", arguments: Revocation.allCases)
  func revocation(_ revocation: Revocation) async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let member = fixture.client(.member)
      _ = try await member.users.whoAmI()
      let owner = fixture.client(.owner)
      let memberID = fixture.users[.member]!.id
      var expected = RPCError.Code.unauthenticated
      switch revocation {
      case .suspendedUser:
        _ = try await owner.users.suspendUser(.with { $0.id = memberID })
      case .deletedUser:
        _ = try await owner.users.deleteUser(.with { $0.id = memberID })
      case .loggedOut:
        _ = try await member.users.logout()
      case .passwordChanged:
        _ = try await member.users.changePassword(
          .with {
            $0.currentPassword = Fixture.password
            $0.newPassword = "a brand new password"
          }
        )
      case .deletedTenant:
        _ = try await fixture.operatorClient.tenants.deleteTenant(.with { $0.tenant = "acme" })
        expected = .notFound
      }
      #expect(await code { try await member.users.whoAmI() } == expected)
      #expect(await code { try await member.users.listUsers() } == expected)
    }
  }

  static func decode(_ segment: Substring) -> Data {
    var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(
      of: "_",
      with: "/"
    )
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    return Data(base64Encoded: base64)!
  }
}
