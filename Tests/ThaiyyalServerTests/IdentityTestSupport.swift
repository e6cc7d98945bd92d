import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

/// A tenant with users of every role, logged in.
struct Fixture {
  let server: TestServer
  let tenant: Thaiyyal_V1_Tenant
  /// Tokens by role (the owner is the tenant's first user).
  var tokens: [Role: String]
  var users: [Role: Thaiyyal_V1_User]
  static let password = "correct horse battery staple"

  /// An operator client (in-process) and a remote client with `role`'s token.
  var operatorClient: ThaiyyalClient { server.makeClient() }
  func client(_ role: Role) -> ThaiyyalClient {
    server.makeClient(token: tokens[role], remote: true)
  }
  func client(token: String?) -> ThaiyyalClient { server.makeClient(token: token, remote: true) }

  static func make(
    _ server: TestServer,
    slug: String = "acme",
    plan: Thaiyyal_V1_Plan = .enterprise
  ) async throws -> Fixture {
    let operatorClient = server.makeClient()
    let created = try await operatorClient.tenants.createTenant(
      createTenantRequest(slug, plan: plan)
    )
    var fixture = Fixture(
      server: server,
      tenant: created.tenant,
      tokens: [:],
      users: [.owner: created.owner]
    )
    fixture.tokens[.owner] = try await fixture.login(slug, "owner")
    for role in [Role.admin, .member, .viewer] {
      var request = Thaiyyal_V1_CreateUserRequest()
      request.email = "\(role.rawValue)@\(slug).example.com"
      request.username = role.rawValue
      request.role = role.proto
      request.password = password
      fixture.users[role] = try await operatorClient.users.createUser(
        request,
        options: CallOptions(metadata: ["x-tenant": slug])
      )
      fixture.tokens[role] = try await fixture.login(slug, role.rawValue)
    }
    return fixture
  }

  func login(
    _ tenant: String,
    _ login: String,
    password: String = Fixture.password,
    from peerAddress: String = "192.0.2.1:50000"
  ) async throws -> String {
    var request = Thaiyyal_V1_LoginRequest()
    request.tenant = tenant
    request.login = login
    request.password = password
    let client = server.makeClient(remote: true, peerAddress: peerAddress)
    return try await client.users.login(request).accessToken
  }

  /// Signs arbitrary claims with the server's own key, for forging tokens in attack tests.
  func sign(_ claims: AccessClaims) async throws -> String {
    let ring = try KeyRing.load(
      secret: nil,
      dataDirectory: server.dataDirectory,
      createIfMissing: false
    )
    return try await TokenIssuer(ring: ring).sign(claims)
  }

  /// Claims of a valid token for `role`'s user, to alter.
  func claims(_ role: Role, now: Int64 = Int64(Clock.nowMilliseconds()) / 1000) -> AccessClaims {
    AccessClaims(
      sub: users[role]!.id,
      tid: tenant.id,
      role: role.rawValue,
      iat: now,
      nbf: now,
      exp: now + 3600,
      jti: UUIDv7.generate(),
      iss: TokenIssuer.issuer,
      aud: TokenIssuer.userAudience,
      gen: 0
    )
  }
}

/// Base64url without padding.
func base64url(_ data: Data) -> String {
  data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
    of: "/",
    with: "_"
  )
  .replacingOccurrences(of: "=", with: "")
}
