import Synchronization
import ThaiyyalCore
import ThaiyyalStore

/// Tenants by id or slug, cached: every tenant-scoped call resolves its tenant, and tenants change
/// rarely.
///
/// Every change through the tenant service calls ``invalidate()`` after it commits, so this process
/// never serves a stale tenant for longer than a lookup that was already in flight; a generation
/// counter stops such a lookup from caching what it read before the change. Entries also expire
/// after `ttl`, bounding staleness should anything else write the database.
final class TenantDirectory: Sendable {
  private let store: SQLiteStore
  private let ttl: Duration
  private let capacity: Int
  private let state = Mutex<State>(State())

  private struct State {
    var generation: UInt64 = 0
    var entries: [String: (tenant: Tenant, expires: ContinuousClock.Instant)] = [:]
  }

  init(store: SQLiteStore, ttl: Duration = .seconds(30), capacity: Int = 10_000) {
    self.store = store
    self.ttl = ttl
    self.capacity = capacity
  }

  /// The tenant with this id or slug, in any status.
  func tenant(_ key: String) async throws -> Tenant? {
    let now = ContinuousClock.now
    let (cached, generation) = state.withLock { state in
      (state.entries[key].flatMap { $0.expires > now ? $0.tenant : nil }, state.generation)
    }
    if let cached { return cached }
    guard let tenant = try await store.read({ tx in try tx.tenants.find(key) }) else { return nil }
    state.withLock { state in
      guard state.generation == generation else { return }
      if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
      let expires = ContinuousClock.now + ttl
      state.entries[tenant.id.rawValue] = (tenant, expires)
      state.entries[tenant.slug] = (tenant, expires)
    }
    return tenant
  }

  /// Forgets every cached tenant; call after any tenant change commits.
  func invalidate() {
    state.withLock { state in
      state.generation &+= 1
      state.entries.removeAll(keepingCapacity: true)
    }
  }
}
