import Synchronization
import ThaiyyalCore
import ThaiyyalStore

/// The current status, role and token generation of users, cached for the authentication step.
///
/// Every user change through the user service calls ``invalidate(_:)`` after it commits, so a
/// logout, suspension, deletion or role change takes effect on the next call. A generation counter
/// keeps a lookup that raced a change from caching what it read before it; entries also expire.
final class IdentityDirectory: Sendable {
  private let store: SQLiteStore
  private let ttl: Duration
  private let capacity: Int
  private let state = Mutex<State>(State())

  private struct State {
    var generation: UInt64 = 0
    var entries: [UserID: (user: User, expires: ContinuousClock.Instant)] = [:]
  }

  init(store: SQLiteStore, ttl: Duration = .seconds(30), capacity: Int = 50_000) {
    self.store = store
    self.ttl = ttl
    self.capacity = capacity
  }

  /// The user `id` of `tenant`, or `nil` when it does not exist there.
  func user(_ id: UserID, in tenant: TenantID) async throws -> User? {
    let now = ContinuousClock.now
    let (cached, generation) = state.withLock { state in
      (
        state.entries[id].flatMap {
          $0.expires > now && $0.user.tenantID == tenant ? $0.user : nil
        }, state.generation
      )
    }
    if let cached { return cached }
    let user = try await store.read { tx in try tx.scoped(TenantScope(tenant)).users.find(id: id) }
    guard let user else { return nil }
    state.withLock { state in
      guard state.generation == generation else { return }
      if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
      state.entries[id] = (user, ContinuousClock.now + ttl)
    }
    return user
  }

  /// Forgets a user; call after any change to it commits.
  func invalidate(_ id: UserID) {
    state.withLock { state in
      state.generation &+= 1
      state.entries.removeValue(forKey: id)
    }
  }

  /// Forgets every user; call after tenant-wide changes.
  func invalidateAll() {
    state.withLock { state in
      state.generation &+= 1
      state.entries.removeAll(keepingCapacity: true)
    }
  }
}
