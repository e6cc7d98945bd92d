import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// The authenticated caller, set by ``AuthenticationInterceptor``.
enum PrincipalKey: ServerContextKey {
  typealias Value = Principal
}

extension ServerContext {
  var principal: Principal? {
    get { self[PrincipalKey.self] }
    set { self[PrincipalKey.self] = newValue }
  }

  /// The tenant the chain resolved for the call, if any.
  var resolvedTenant: Tenant? { tenantCall?.tenant }

  /// The caller, or `UNAUTHENTICATED`.
  func requirePrincipal() throws(RPCError) -> Principal {
    guard let principal else { throw .unauthenticatedCall }
    return principal
  }

  /// Who did it, from where and at `time`, for audit entries of calls that act in no resolved
  /// tenant (the operator's platform calls, refused calls).
  func auditContext(at time: Int64) -> AuditContext {
    let actorType: AuditEntry.ActorType =
      switch principal {
      case .operator: .operator
      case .user: .user
      case nil: .anonymous
      }
    return AuditContext(
      actorType: actorType,
      actorID: principal?.actorID ?? "anonymous",
      peer: peer.description,
      requestID: requestID,
      time: time
    )
  }
}

extension RPCError {
  static let unauthenticatedCall = RPCError(
    .unauthenticated,
    "this call needs credentials: a bearer token, or the operator's Unix socket"
  )
}
