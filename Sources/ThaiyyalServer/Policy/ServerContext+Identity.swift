import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// The authenticated caller, set by ``AuthenticationInterceptor``.
enum PrincipalKey: ServerContextKey {
  typealias Value = Principal
}

/// The tenant the call acts in, set by ``TenantResolutionInterceptor``.
enum ResolvedTenantKey: ServerContextKey {
  typealias Value = Tenant
}

extension ServerContext {
  var principal: Principal? {
    get { self[PrincipalKey.self] }
    set { self[PrincipalKey.self] = newValue }
  }

  var resolvedTenant: Tenant? {
    get { self[ResolvedTenantKey.self] }
    set { self[ResolvedTenantKey.self] = newValue }
  }

  /// The caller, or `UNAUTHENTICATED`.
  func requirePrincipal() throws(RPCError) -> Principal {
    guard let principal else { throw .unauthenticatedCall }
    return principal
  }

  /// The tenant the call acts in and its scope, or `FAILED_PRECONDITION` asking for `x-tenant`.
  func requireTenant() throws(RPCError) -> (tenant: Tenant, scope: TenantScope) {
    guard let tenant = resolvedTenant else {
      throw RPCError(
        .failedPrecondition,
        "this call acts in one tenant: send its slug or id as x-tenant metadata",
        details: [.errorInfo(reason: "TENANT_REQUIRED")]
      )
    }
    return (tenant, TenantScope(tenant.id))
  }

  /// Who did it and from where, for audit entries.
  var auditContext: AuditContext {
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
      requestID: requestID
    )
  }
}

extension RPCError {
  static let unauthenticatedCall = RPCError(
    .unauthenticated,
    "this call needs credentials: a bearer token, or the operator's Unix socket"
  )
}
