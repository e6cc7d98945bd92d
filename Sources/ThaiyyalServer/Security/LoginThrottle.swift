import Synchronization
import ThaiyyalCore
import ThaiyyalRPC

/// Failed logins per source and account, kept in memory and checked before any password is
/// hashed: after `maxFailures` failures in a row from one source (a peer address or uid) for one
/// tenant and login, that source gets the wrong-password answer at once for `window`, whatever it
/// sends. Other sources can still sign in; only many failures from many sources lock the account
/// itself (``SecurityPolicy/accountLockoutFailures``), which an admin or the operator lifts with
/// ResumeUser. So five wrong passwords from a stranger cannot lock an owner out.
///
/// The keys are what the caller typed (case folded), so throttling says nothing about whether a
/// tenant or user exists. At most `capacity` keys are kept; expired ones go first.
final class LoginThrottle: Sendable {
  struct Key: Hashable, Sendable {
    let tenant: String
    let login: String
    let source: String

    init(tenant: String, login: String, source: String) {
      self.tenant = tenant.lowercased()
      self.login = login.lowercased()
      self.source = source
    }
  }

  private struct Failures {
    var count: Int64
    var last: Int64
  }

  private let maxFailures: Int64
  private let window: Int64
  private let clock: WallClock
  private let capacity: Int
  private let failures = Mutex<[Key: Failures]>([:])

  init(maxFailures: Int64, window milliseconds: Int64, clock: WallClock, capacity: Int = 100_000) {
    self.maxFailures = maxFailures
    self.window = milliseconds
    self.clock = clock
    self.capacity = capacity
  }

  /// Whether `key` has failed too often, recently.
  func isThrottled(_ key: Key) -> Bool {
    let now = clock.nowMilliseconds()
    return failures.withLock { failures in
      guard let entry = failures[key] else { return false }
      return entry.count >= maxFailures && now - entry.last < window
    }
  }

  /// Counts a failure; returns true when this one throttled the source.
  @discardableResult
  func recordFailure(_ key: Key) -> Bool {
    let now = clock.nowMilliseconds()
    return failures.withLock { failures in
      var entry = failures[key] ?? Failures(count: 0, last: now)
      if now - entry.last >= window { entry.count = 0 }
      entry.count += 1
      entry.last = now
      if failures[key] == nil && failures.count >= capacity {
        failures = failures.filter { now - $0.value.last < window }
        if failures.count >= capacity {
          let oldest = failures.sorted { $0.value.last < $1.value.last }.prefix(capacity / 2)
          for (stale, _) in oldest { failures[stale] = nil }
        }
      }
      failures[key] = entry
      return entry.count == maxFailures
    }
  }

  func recordSuccess(_ key: Key) {
    _ = failures.withLock { $0.removeValue(forKey: key) }
  }
}

extension Peer {
  /// Where calls come from, for per-source limits: a TCP address without its port, a Unix-socket
  /// uid, or the process itself.
  var sourceKey: String {
    switch self {
    case .inProcess: "in-process"
    case .unixSocket(let credentials?): "uid:\(credentials.uid)"
    case .unixSocket(nil): "unix"
    case .tcp(let address): "tcp:\(Self.host(of: address))"
    }
  }

  /// `1.2.3.4` of `1.2.3.4:5678`, `::1` of `[::1]:5678`.
  static func host(of address: String) -> Substring {
    if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
      return address[address.index(after: address.startIndex) ..< close]
    }
    guard let colon = address.lastIndex(of: ":"),
      address[..<colon].firstIndex(of: ":") == nil
    else { return address[...] }
    return address[..<colon]
  }
}
