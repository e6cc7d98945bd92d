/// The time source of rules that depend on wall-clock time (token expiry, lockouts), injectable so
/// tests move time instead of sleeping.
public struct WallClock: Sendable {
  private let read: @Sendable () -> Int64

  public init(_ read: @escaping @Sendable () -> Int64) {
    self.read = read
  }

  /// Milliseconds since the Unix epoch.
  public func nowMilliseconds() -> Int64 { read() }

  /// The real clock.
  public static let system = WallClock { Int64(Clock.nowMilliseconds()) }
}
