import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// One call acting in one tenant, as the application layer sees it: who calls, in which tenant and
/// scope, under which limits, and when.
///
/// The interceptor chain makes it once per call (``TenantResolutionInterceptor``), after
/// authentication, so handlers and application types never re-derive the tenant, the plan's
/// limits or the audit context, and cannot act in a tenant the chain did not resolve.
struct TenantCall: Sendable {
  let tenant: Tenant
  let scope: TenantScope
  let principal: Principal
  /// The plan's limits with the tenant's overrides.
  let limits: PlanLimits
  /// When the call was made (milliseconds since the epoch).
  let now: Int64
  /// The call as it arrived: its peer and request id are formatted only when an audit entry is
  /// written, so reads never pay for them.
  let context: ServerContext

  /// Who, from where and when, for the call's audit entries.
  var audit: AuditContext { context.auditContext(at: now) }
  var actorID: String { principal.actorID }

  /// The calling user, `nil` for the operator.
  var userID: UserID? {
    if case .user(let id, _, _) = principal { id } else { nil }
  }

  /// Who the caller is for workflow visibility: the operator, admins and owners see everything.
  var viewer: WorkflowViewer {
    if case .user(let id, _, let role) = principal {
      .user(id: id.rawValue, role: role)
    } else {
      .everything
    }
  }

  /// An entry of this call in the tenant's audit log.
  func entry(
    _ action: AuditAction,
    resourceID: String,
    changes: AuditChanges = AuditChanges(),
    outcome: AuditEntry.Outcome = .success,
    reason: String = ""
  ) -> AuditEntry {
    audit.entry(
      tenant: tenant.id,
      action,
      resourceID: resourceID,
      changes: changes.json,
      outcome: outcome,
      reason: reason
    )
  }
}

/// The call's ``TenantCall``, set by ``TenantResolutionInterceptor``.
enum TenantCallKey: ServerContextKey {
  typealias Value = TenantCall
}

extension ServerContext {
  var tenantCall: TenantCall? {
    get { self[TenantCallKey.self] }
    set { self[TenantCallKey.self] = newValue }
  }

  /// The call in its tenant, or `FAILED_PRECONDITION` asking for `x-tenant`.
  func requireTenantCall() throws(RPCError) -> TenantCall {
    guard let tenantCall else {
      throw RPCError(
        .failedPrecondition,
        "this call acts in one tenant: send its slug or id as x-tenant metadata",
        details: [.errorInfo(reason: "TENANT_REQUIRED")]
      )
    }
    return tenantCall
  }
}
