import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// Applies ``AccessPolicies/table`` to every call: the rule for its method, then the tenant's
/// state (a suspended tenant is read-only for its members).
struct AuthorizationInterceptor: ServerInterceptor {
  let policies: [MethodDescriptor: AccessPolicy]
  let denials: DenialRecorder

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    do {
      try authorize(context)
    } catch {
      if error.code == .unauthenticated || error.code == .permissionDenied {
        await denials.record(context, error: error, tenantHint: nil)
      }
      throw error
    }
    return try await next(payload, context)
  }

  private func authorize(_ context: ServerContext) throws(RPCError) {
    guard let policy = policies[context.descriptor] else {
      throw RPCError(.permissionDenied, "\(context.descriptor.fullName) has no access policy")
    }
    switch policy.rule {
    case .public:
      break
    case .authenticated:
      _ = try context.requirePrincipal()
    case .operator:
      guard try context.requirePrincipal().isOperator else {
        throw RPCError(
          .permissionDenied,
          "only the platform operator may call \(context.descriptor.method)"
        )
      }
    case .member(let minimum):
      switch try context.requirePrincipal() {
      case .operator:
        break
      case .user(_, let tenantID, let role):
        if let tenant = context.resolvedTenant, tenant.id != tenantID {
          throw RPCError(.permissionDenied, "the token belongs to another tenant")
        }
        guard role >= minimum else {
          throw RPCError(
            .permissionDenied,
            "\(context.descriptor.method) needs the \(minimum.rawValue) role or higher"
          )
        }
      }
    }
    // The operator may still act in a suspended tenant (to resume or repair it); its members may not.
    if policy.mutates, let tenant = context.resolvedTenant, tenant.status == .suspended,
      context.principal?.isOperator != true
    {
      throw RPCError(
        .failedPrecondition,
        "tenant \(tenant.slug) is suspended: it is read-only",
        details: [.errorInfo(reason: "TENANT_SUSPENDED", metadata: ["tenant": tenant.slug])]
      )
    }
  }
}
