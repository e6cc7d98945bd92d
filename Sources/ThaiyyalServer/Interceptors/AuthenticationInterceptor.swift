import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// Establishes who is calling.
///
/// A bearer token, when present, decides: it must verify (``TokenIssuer``), and for a user token the
/// user must still exist in the token's tenant, be active, and have the token generation the token
/// carries (logout, password change, suspension and deletion raise it). The role in force is the
/// user's current role, not the one in the token. Without a token, a Unix-socket peer whose
/// kernel-reported uid is in `security.operator_uids` is the platform operator; TCP peers are never
/// trusted this way. Calls with neither continue anonymously; authorization decides if that is enough.
struct AuthenticationInterceptor: ServerInterceptor {
  let operatorUIDs: Set<UInt32>
  let tokens: TokenIssuer
  let identities: IdentityDirectory
  let denials: DenialRecorder

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    var context = context
    if let header = context.metadata[Metadata.WellKnown.authorization] {
      do {
        context.principal = try await authenticate(header)
      } catch {
        await denials.record(context, error: error, tenantHint: nil)
        throw error
      }
    } else if case .unixSocket(let credentials?) = context.peer,
      operatorUIDs.contains(credentials.uid)
    {
      context.principal = .operator(uid: credentials.uid)
    } else if case .inProcess = context.peer, operatorUIDs.contains(InProcessOperator.uid) {
      context.principal = .operator(uid: InProcessOperator.uid)
    }
    return try await next(payload, context)
  }

  private func authenticate(_ header: String) async throws(RPCError) -> Principal {
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      throw TokenIssuer.invalid("expected 'Bearer <token>'")
    }
    let claims = try await tokens.verify(String(parts[1]))
    if claims.aud == TokenIssuer.operatorAudience {
      guard claims.sub == "operator", claims.tid == nil else {
        throw TokenIssuer.invalid("malformed operator token")
      }
      return .operator(uid: nil)
    }
    guard let tid = claims.tid, let generation = claims.gen else {
      throw TokenIssuer.invalid("missing claims")
    }
    let tenantID = TenantID(tid)
    let user: User?
    do {
      user = try await identities.user(UserID(claims.sub), in: tenantID)
    } catch let unavailable as StoreUnavailable {
      // The database's own answer: UNAVAILABLE with DATABASE_UNAVAILABLE and a retry delay.
      throw unavailable.rpcError
    } catch {
      throw RPCError(.unavailable, "cannot check the token now; retry")
    }
    guard let user, user.status == .active, user.tokenGeneration == generation else {
      throw RPCError(
        .unauthenticated,
        "the token was revoked",
        details: [.errorInfo(reason: "TOKEN_REVOKED")]
      )
    }
    return .user(id: user.id, tenantID: tenantID, role: user.role)
  }
}

/// In-process calls (tests, embedding) count as the operator when this uid is configured as one.
enum InProcessOperator {
  static let uid: UInt32 = .max
}
