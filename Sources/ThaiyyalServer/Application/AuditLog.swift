import ThaiyyalCore
import ThaiyyalStore

/// Reading a tenant's append-only audit log, newest first. Entries are written only by the
/// application types, in the transaction of what they record.
struct AuditLog: Sendable {
  let store: any Persistence

  func list(
    _ filter: AuditFilter,
    page: PageRequest,
    in call: TenantCall
  ) async throws -> Page<AuditEntry> {
    try await store.read { tx in try tx.scoped(call.scope).audit.list(filter, page: page) }
  }

  func entry(_ id: String, in call: TenantCall) async throws -> AuditEntry {
    let found = try await store.read { tx in try tx.scoped(call.scope).audit.find(id: id) }
    guard let found else {
      throw DomainError.notFound(resource: "audit entry", id: String(id.prefix(64)))
    }
    return found
  }
}
