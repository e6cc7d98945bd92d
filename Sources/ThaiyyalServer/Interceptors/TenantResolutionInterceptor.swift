import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// Finds the tenant a call acts in and makes the call's ``TenantCall``: the token's tenant for
/// users (`x-tenant`, when sent, must name the same tenant), the `x-tenant` metadata (slug or id)
/// for the operator.
///
/// A server for one organisation (``ServerConfiguration/singleTenant``) acts in its tenant on
/// every call that names none, the operator's included; any other tenant is NOT_FOUND there.
///
/// A deleted tenant is invisible to everyone but the operator: `NOT_FOUND`, as if it never existed.
/// Anonymous calls act in no tenant, whatever `x-tenant` says: a stranger can neither learn which
/// tenants exist nor spend a tenant's rate limit.
struct TenantResolutionInterceptor: ServerInterceptor {
  let directory: TenantDirectory
  let plans: PlanCatalog
  let clock: WallClock
  /// The organisation's tenant slug, when the server serves one.
  var singleTenant: String?

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    let requested = context.metadata[Metadata.WellKnown.tenant].flatMap { $0.isEmpty ? nil : $0 }
    if let requested, requested.utf8.count > 64 {
      throw RPCError(.invalidArgument, "x-tenant is longer than 64 bytes")
    }
    guard let principal = context.principal else { return try await next(payload, context) }
    let resolved: (Tenant, TenantScope)
    switch principal {
    case .user(_, let tenantID, _):
      guard let tenant = try await directory.tenant(tenantID.rawValue),
        let scope = TenantResolution.scope(of: tenant, organisation: singleTenant)
      else {
        throw RPCError(.notFound, "tenant \(requested ?? tenantID.rawValue) not found")
      }
      if let requested, requested != tenant.slug && requested != tenant.id.rawValue {
        throw RPCError(
          .permissionDenied,
          "x-tenant does not match the tenant of the token",
          details: [.errorInfo(reason: "TENANT_MISMATCH")]
        )
      }
      resolved = (tenant, scope)
    case .operator:
      guard let requested = requested ?? singleTenant else {
        return try await next(payload, context)
      }
      guard let tenant = try await directory.tenant(requested),
        let scope = TenantResolution.scope(
          of: tenant,
          forOperator: true,
          organisation: singleTenant
        )
      else {
        throw RPCError(.notFound, "tenant \(requested) not found")
      }
      resolved = (tenant, scope)
    }
    let (tenant, scope) = resolved
    var context = context
    context.tenantCall = TenantCall(
      tenant: tenant,
      scope: scope,
      principal: principal,
      limits: plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides),
      now: clock.nowMilliseconds(),
      context: context
    )
    return try await next(payload, context)
  }
}
