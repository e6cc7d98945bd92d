import ThaiyyalCore
import ThaiyyalStore

/// The current status, role and token generation of users, cached for the authentication step.
/// Every user change through the user service calls ``invalidate(_:)`` after it commits, so a
/// logout, suspension, deletion or role change takes effect on the next call.
final class IdentityDirectory: Sendable {
  private let store: any Persistence
  private let cache: InvalidatingCache<UserID, User>

  init(store: any Persistence, ttl: Duration = .seconds(30), capacity: Int = 50_000) {
    self.store = store
    self.cache = InvalidatingCache(ttl: ttl, capacity: capacity)
  }

  /// The user `id` of `tenant`, or `nil` when it does not exist there.
  func user(_ id: UserID, in tenant: TenantID) async throws -> User? {
    let user = try await cache.value(for: id) {
      let scope = TenantResolution.scope(ofTokenTenant: tenant)
      return try await store.read { tx in try tx.scoped(scope).users.find(id: id) }
    }
    // User ids are unique across tenants; a user cached for another tenant is not this tenant's.
    return user?.tenantID == tenant ? user : nil
  }

  /// Forgets a user; call after any change to it commits.
  func invalidate(_ id: UserID) {
    cache.invalidate(id)
  }
}
