import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// Establishes who is calling.
///
/// A bearer token, when present, decides (token verification arrives with the identity work; until
/// then any token is refused). Without a token, a Unix-socket peer whose kernel-reported uid is in
/// `security.operator_uids` is the platform operator. TCP peers are never trusted this way.
/// Calls with neither continue anonymously; the authorization step decides whether that is enough.
struct AuthenticationInterceptor: ServerInterceptor {
  let operatorUIDs: Set<UInt32>

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    var context = context
    if context.metadata[Metadata.WellKnown.authorization] != nil {
      throw RPCError(
        .unauthenticated,
        "bearer tokens are not accepted yet",
        details: [.errorInfo(reason: "TOKEN_INVALID")]
      )
    }
    if case .unixSocket(let credentials?) = context.peer, operatorUIDs.contains(credentials.uid) {
      context.principal = .operator(uid: credentials.uid)
    } else if case .inProcess = context.peer, operatorUIDs.contains(InProcessOperator.uid) {
      context.principal = .operator(uid: InProcessOperator.uid)
    }
    return try await next(payload, context)
  }
}

/// In-process calls (tests, embedding) count as the operator when this uid is configured as one.
enum InProcessOperator {
  static let uid: UInt32 = .max
}
