import Logging
import ThaiyyalCore
import ThaiyyalRPC
import ThaiyyalStore

/// Writes an `auth.denied` audit entry for calls refused at the authenticate or authorize step,
/// with the reason, peer and request id, into the log of the tenant the call was aimed at.
///
/// Calls aimed at no known tenant are only logged: an anonymous caller cannot make the server write
/// to the database for a tenant that does not exist.
///
/// Refused calls skip the rate limit (it comes later in the chain), so the entries a tenant can be
/// made to write are themselves limited: beyond 5 a second (bursts of 20) they are only logged.
struct DenialRecorder: Sendable {
  let store: any Persistence
  let tenants: TenantDirectory
  let clock: WallClock
  private let budget = TokenBuckets<TenantID>()
  private let lines = LogSampler()

  init(store: any Persistence, tenants: TenantDirectory, clock: WallClock) {
    self.store = store
    self.tenants = tenants
    self.clock = clock
  }

  func record(_ context: ServerContext, error: RPCError, tenantHint: TenantID?) async {
    lines.sample { suppressed in
      context.logger.info(
        "call refused",
        metadata: [
          "code": "\(error.code)", "reason": "\(error.message)", "peer": "\(context.peer)",
        ].noting(suppressed: suppressed)
      )
    }
    var tenantID = tenantHint ?? context.resolvedTenant?.id
    if tenantID == nil, let key = context.metadata[Metadata.WellKnown.tenant], key.utf8.count <= 64
    {
      tenantID = (try? await tenants.tenant(key))?.id
    }
    guard let tenantID, budget.take(tenantID, rate: 5, burst: 20, now: .now) == nil else { return }
    let entry = context.auditContext(at: clock.nowMilliseconds()).entry(
      tenant: tenantID,
      .authDenied,
      resourceID: context.descriptor.fullName,
      outcome: .denied,
      reason: "\(error.code): \(error.message)"
    )
    do {
      let scope = CrossTenantAccess.scope(of: tenantID, for: .refusedCallAudit)
      try await store.write { tx in try tx.scoped(scope).audit.append(entry) }
    } catch {
      context.logger.warning(
        "cannot record a refused call in the audit log",
        metadata: ["error": "\(error)"]
      )
    }
  }
}
