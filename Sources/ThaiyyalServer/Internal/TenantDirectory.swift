import ThaiyyalCore
import ThaiyyalStore

/// Tenants by id or slug, cached: every tenant-scoped call resolves its tenant, and tenants change
/// rarely. Every change through the tenant service calls ``invalidate()`` after it commits.
final class TenantDirectory: Sendable {
  private let store: any Persistence
  private let cache: InvalidatingCache<String, Tenant>

  init(store: any Persistence, ttl: Duration = .seconds(30), capacity: Int = 10_000) {
    self.store = store
    self.cache = InvalidatingCache(ttl: ttl, capacity: capacity)
  }

  /// The tenant with this id or slug, in any status.
  func tenant(_ key: String) async throws -> Tenant? {
    let store = self.store
    return try await cache.value(
      for: key,
      keys: { [$0.id.rawValue, $0.slug] },
      load: { try await store.read { tx in try tx.tenants.find(key) } }
    )
  }

  /// Forgets every cached tenant; call after any tenant change commits.
  func invalidate() {
    cache.invalidate()
  }
}
