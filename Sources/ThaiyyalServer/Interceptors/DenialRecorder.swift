import Logging
import ThaiyyalCore
import ThaiyyalRPC
import ThaiyyalStore

/// Writes an `auth.denied` audit entry for calls refused at the authenticate or authorize step,
/// with the reason, peer and request id, into the log of the tenant the call was aimed at.
///
/// Calls aimed at no known tenant are only logged: an anonymous caller cannot make the server write
/// to the database for a tenant that does not exist.
struct DenialRecorder: Sendable {
  let store: SQLiteStore
  let tenants: TenantDirectory

  func record(_ context: ServerContext, error: RPCError, tenantHint: TenantID?) async {
    context.logger.info(
      "call refused",
      metadata: ["code": "\(error.code)", "reason": "\(error.message)", "peer": "\(context.peer)"]
    )
    var tenantID = tenantHint ?? context.resolvedTenant?.id
    if tenantID == nil, let key = context.metadata[Metadata.WellKnown.tenant], key.utf8.count <= 64
    {
      tenantID = (try? await tenants.tenant(key))?.id
    }
    guard let tenantID else { return }
    let entry = context.auditContext.entry(
      tenant: tenantID,
      action: "auth.denied",
      resourceType: "method",
      resourceID: context.descriptor.fullName,
      outcome: .denied,
      reason: "\(error.code): \(error.message)"
    )
    do {
      try await store.write { tx in try tx.scoped(TenantScope(tenantID)).audit.append(entry) }
    } catch {
      context.logger.warning(
        "cannot record a refused call in the audit log",
        metadata: ["error": "\(error)"]
      )
    }
  }
}
