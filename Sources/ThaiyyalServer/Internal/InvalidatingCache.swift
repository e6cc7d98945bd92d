import Synchronization

/// A small read-through cache for rows that change rarely but are read on every call (tenants,
/// users' state), with exact invalidation.
///
/// Writers call ``invalidate(_:)`` after their change commits. A lookup that was already reading
/// the old row when that happened does not cache it: every invalidation raises a generation, and a
/// load only stores its result if the generation is unchanged. Entries also expire after `ttl`,
/// bounding staleness should anything else write the database, and the whole cache is dropped
/// when it reaches `capacity`.
final class InvalidatingCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
  private let ttl: Duration
  private let capacity: Int
  private let state = Mutex<State>(State())

  private struct State {
    var generation: UInt64 = 0
    var entries: [Key: (value: Value, expires: ContinuousClock.Instant)] = [:]
  }

  init(ttl: Duration, capacity: Int) {
    self.ttl = ttl
    self.capacity = capacity
  }

  /// The cached value for `key`, else `load()`'s, stored under every key `keys` names for it.
  func value(
    for key: Key,
    keys: (Value) -> [Key] = { _ in [] },
    load: () async throws -> Value?
  ) async throws -> Value? {
    let now = ContinuousClock.now
    let (cached, generation) = state.withLock { state in
      (state.entries[key].flatMap { $0.expires > now ? $0.value : nil }, state.generation)
    }
    if let cached { return cached }
    guard let value = try await load() else { return nil }
    state.withLock { state in
      guard state.generation == generation else { return }
      if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
      let expires = ContinuousClock.now + ttl
      for storedKey in [key] + keys(value) { state.entries[storedKey] = (value, expires) }
    }
    return value
  }

  /// Forgets `key`, or everything when `key` is `nil`.
  func invalidate(_ key: Key? = nil) {
    state.withLock { state in
      state.generation &+= 1
      if let key {
        state.entries.removeValue(forKey: key)
      } else {
        state.entries.removeAll(keepingCapacity: true)
      }
    }
  }
}
