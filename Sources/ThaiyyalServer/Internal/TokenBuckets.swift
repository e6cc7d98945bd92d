import Synchronization

/// Token buckets by key (a tenant, a peer address), refilled lazily on each take.
///
/// The number of keys is bounded: past `capacity`, buckets that have refilled completely (which
/// behave exactly like a new bucket) are dropped, so callers that invent keys (addresses) cannot
/// grow it without bound. If every bucket is still draining, the oldest half goes.
final class TokenBuckets<Key: Hashable & Sendable>: Sendable {
  private struct Bucket {
    var tokens: Double
    var updated: ContinuousClock.Instant
    var rate: Double
    var burst: Double
  }

  private let buckets = Mutex<[Key: Bucket]>([:])
  private let capacity: Int

  init(capacity: Int = 10_000) {
    self.capacity = capacity
  }

  /// Takes one token; returns `nil` when taken, else how long until one is available.
  func take(
    _ key: Key,
    rate: Double,
    burst: Double,
    now: ContinuousClock.Instant
  ) -> Duration? {
    buckets.withLock { buckets in
      var bucket = Self.refilled(buckets[key], rate: rate, burst: burst, now: now)
      defer {
        if buckets[key] == nil && buckets.count >= capacity {
          Self.prune(&buckets, to: capacity, now: now)
        }
        buckets[key] = bucket
      }
      if bucket.tokens >= 1 {
        bucket.tokens -= 1
        return nil
      }
      return Self.wait(bucket)
    }
  }

  /// How long until `key` has a token again, or nil when it has one now; takes nothing.
  func waitTime(
    _ key: Key,
    rate: Double,
    burst: Double,
    now: ContinuousClock.Instant
  ) -> Duration? {
    buckets.withLock { buckets in
      guard let stored = buckets[key] else { return nil }
      let bucket = Self.refilled(stored, rate: rate, burst: burst, now: now)
      return bucket.tokens >= 1 ? nil : Self.wait(bucket)
    }
  }

  private static func refilled(
    _ bucket: Bucket?,
    rate: Double,
    burst: Double,
    now: ContinuousClock.Instant
  ) -> Bucket {
    guard var bucket else { return Bucket(tokens: burst, updated: now, rate: rate, burst: burst) }
    let elapsed = now - bucket.updated
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    bucket.tokens = min(burst, bucket.tokens + seconds * rate)
    bucket.updated = now
    bucket.rate = rate
    bucket.burst = burst
    return bucket
  }

  private static func wait(_ bucket: Bucket) -> Duration {
    guard bucket.rate > 0 else { return .seconds(3600) }
    return .milliseconds(Int64(((1 - bucket.tokens) / bucket.rate * 1000).rounded(.up)))
  }

  private static func prune(
    _ buckets: inout [Key: Bucket],
    to capacity: Int,
    now: ContinuousClock.Instant
  ) {
    buckets = buckets.filter { _, bucket in
      refilled(bucket, rate: bucket.rate, burst: bucket.burst, now: now).tokens < bucket.burst
    }
    guard buckets.count >= capacity / 2 else { return }
    let oldestFirst = buckets.sorted { $0.value.updated < $1.value.updated }
    for (key, _) in oldestFirst.prefix(buckets.count / 2) { buckets[key] = nil }
  }
}
