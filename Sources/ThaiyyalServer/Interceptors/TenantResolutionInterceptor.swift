import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// Finds the tenant a call acts in: the `x-tenant` metadata (slug or id) for the operator, the
/// token's tenant for users (which `x-tenant`, when sent, must match).
///
/// A deleted tenant is invisible to everyone but the operator: `NOT_FOUND`, as if it never existed.
struct TenantResolutionInterceptor: ServerInterceptor {
  let directory: TenantDirectory

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    let requested = context.metadata[Metadata.WellKnown.tenant]
    guard let requested, !requested.isEmpty else {
      return try await next(payload, context)
    }
    guard requested.utf8.count <= 64 else {
      throw RPCError(.invalidArgument, "x-tenant is longer than 64 bytes")
    }
    let tenant = try await directory.tenant(requested)
    guard let tenant, tenant.status != .deleted || context.principal?.isOperator == true else {
      throw RPCError(.notFound, "tenant \(requested) not found")
    }
    if case .user(_, let tenantID, _) = context.principal, tenantID != tenant.id {
      throw RPCError(
        .permissionDenied,
        "x-tenant does not match the tenant of the token",
        details: [.errorInfo(reason: "TENANT_MISMATCH")]
      )
    }
    var context = context
    context.resolvedTenant = tenant
    return try await next(payload, context)
  }
}
