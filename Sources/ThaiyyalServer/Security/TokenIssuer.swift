import Foundation
import JWTKit
import Synchronization
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// The claims of our access tokens.
struct AccessClaims: JWTPayload, Equatable {
  /// The user id, or `operator` for operator tokens.
  var sub: String
  /// The tenant id; absent on operator tokens.
  var tid: String?
  var role: String?
  var iat: Int64
  var nbf: Int64
  var exp: Int64
  var jti: String
  var iss: String
  var aud: String
  /// The user's token generation when the token was issued.
  var gen: Int64?

  /// Signature and header are checked by jwt-kit and ``TokenIssuer``; time, issuer and audience by
  /// ``TokenIssuer`` with its injectable clock.
  func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signs and verifies access tokens (HS256 JWTs via jwt-kit).
///
/// Verification is strict: the header must say `HS256` (never `none`, never another algorithm) and
/// name a key we hold; then the signature; then issuer, audience, `nbf` and `exp` with 30 seconds of
/// leeway. Every failure is `UNAUTHENTICATED` with a stable `ErrorInfo` reason.
final class TokenIssuer: Sendable {
  static let issuer = "thaiyyal"
  static let userAudience = "thaiyyal"
  static let operatorAudience = "thaiyyal-operator"
  static let leewaySeconds: Int64 = 30

  private let keys = JWTKeyCollection()
  private let ring: KeyRing
  /// Tokens whose header and signature already verified, so a client that reuses its token pays
  /// for the cryptography once. Time claims are still checked on every call, and revocation is the
  /// identity check's job, so caching changes no outcome.
  private let verified = Mutex<[String: AccessClaims]>([:])
  private static let verifiedCapacity = 10_000
  private let clock: WallClock
  let lifetime: Duration

  init(ring: KeyRing, clock: WallClock = .system, lifetime: Duration = .seconds(3600)) async {
    self.ring = ring
    self.clock = clock
    self.lifetime = lifetime
    for key in ring.keys {
      await keys.add(
        hmac: HMACKey(from: key.secret),
        digestAlgorithm: .sha256,
        kid: JWKIdentifier(string: key.id)
      )
    }
  }

  /// A token for `user`, and when it expires (milliseconds).
  func issue(for user: User) async throws -> (token: String, expiresAt: Int64) {
    let now = clock.nowMilliseconds() / 1000
    let claims = AccessClaims(
      sub: user.id.rawValue,
      tid: user.tenantID.rawValue,
      role: user.role.rawValue,
      iat: now,
      nbf: now,
      exp: now + lifetime.components.seconds,
      jti: UUIDv7.generate(),
      iss: Self.issuer,
      aud: Self.userAudience,
      gen: user.tokenGeneration
    )
    return (try await sign(claims), claims.exp * 1000)
  }

  /// An operator token, valid on any transport, for `lifetime`.
  func issueOperator(lifetime: Duration) async throws -> String {
    let now = clock.nowMilliseconds() / 1000
    return try await sign(
      AccessClaims(
        sub: "operator",
        tid: nil,
        role: nil,
        iat: now,
        nbf: now,
        exp: now + lifetime.components.seconds,
        jti: UUIDv7.generate(),
        iss: Self.issuer,
        aud: Self.operatorAudience,
        gen: nil
      )
    )
  }

  func sign(_ claims: AccessClaims) async throws -> String {
    var header = JWTHeader()
    header.alg = "HS256"
    header.typ = "JWT"
    return try await keys.sign(
      claims,
      kid: JWKIdentifier(string: ring.signingKey.id),
      header: header
    )
  }

  /// The verified claims of `token`.
  ///
  /// - Throws: `UNAUTHENTICATED` with reason `TOKEN_INVALID`, `TOKEN_EXPIRED` or `TOKEN_NOT_YET_VALID`.
  func verify(_ token: String) async throws(RPCError) -> AccessClaims {
    guard token.utf8.count <= 8192 else { throw Self.invalid("token too long") }
    if let claims = verified.withLock({ $0[token] }) {
      try checkTime(claims)
      return claims
    }
    let claims = try await verifySignature(token)
    try checkTime(claims)
    verified.withLock { cache in
      if cache.count >= Self.verifiedCapacity { cache.removeAll(keepingCapacity: true) }
      cache[token] = claims
    }
    return claims
  }

  private func verifySignature(_ token: String) async throws(RPCError) -> AccessClaims {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    // One spelling per token: padding, characters outside base64url and flipped unused bits of
    // a segment's last character all make a different string decode to the same bytes.
    guard parts.count == 3, parts.allSatisfy({ Self.decodeSegment($0) != nil }),
      let header = Self.decodeSegment(parts[0]),
      let fields = (try? JSONSerialization.jsonObject(with: header)) as? [String: Any]
    else { throw Self.invalid("malformed token") }
    guard fields["alg"] as? String == "HS256" else { throw Self.invalid("unsupported algorithm") }
    if let typ = fields["typ"] {
      guard typ as? String == "JWT" else { throw Self.invalid("unsupported type") }
    }
    guard fields["crit"] == nil else { throw Self.invalid("unsupported critical header") }
    guard let kid = fields["kid"] as? String, ring.keys.contains(where: { $0.id == kid }) else {
      throw Self.invalid("unknown signing key")
    }
    let claims: AccessClaims
    do {
      claims = try await keys.verify(token, as: AccessClaims.self)
    } catch {
      throw Self.invalid("signature or claims do not verify")
    }
    guard claims.iss == Self.issuer else { throw Self.invalid("wrong issuer") }
    guard claims.aud == Self.userAudience || claims.aud == Self.operatorAudience else {
      throw Self.invalid("wrong audience")
    }
    return claims
  }

  private func checkTime(_ claims: AccessClaims) throws(RPCError) {
    let now = clock.nowMilliseconds() / 1000
    guard claims.exp + Self.leewaySeconds > now else {
      throw RPCError(
        .unauthenticated,
        "the token has expired",
        details: [.errorInfo(reason: "TOKEN_EXPIRED")]
      )
    }
    guard claims.nbf - Self.leewaySeconds <= now, claims.iat - Self.leewaySeconds <= now else {
      throw RPCError(
        .unauthenticated,
        "the token is not valid yet",
        details: [.errorInfo(reason: "TOKEN_NOT_YET_VALID")]
      )
    }
  }

  static func invalid(_ why: String) -> RPCError {
    RPCError(
      .unauthenticated,
      "invalid token: \(why)",
      details: [.errorInfo(reason: "TOKEN_INVALID")]
    )
  }

  /// The bytes of a segment in canonical base64url (no padding, unused bits zero), else nil.
  static func decodeSegment(_ segment: Substring) -> Data? {
    let alphabet = segment.utf8.allSatisfy { byte in
      (0x41 ... 0x5A).contains(byte) || (0x61 ... 0x7A).contains(byte)
        || (0x30 ... 0x39).contains(byte) || byte == 0x2D || byte == 0x5F
    }
    guard alphabet, segment.utf8.count % 4 != 1 else { return nil }
    var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(
      of: "_",
      with: "/"
    )
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    guard let data = Data(base64Encoded: base64) else { return nil }
    // Re-encoding gives back the segment only when its unused low bits were zero.
    var canonical = data.base64EncodedString()
    while canonical.last == "=" { canonical.removeLast() }
    canonical = canonical.replacingOccurrences(of: "+", with: "-").replacingOccurrences(
      of: "/",
      with: "_"
    )
    return canonical == segment ? data : nil
  }
}
