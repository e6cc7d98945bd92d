import Synchronization
public import ThaiyyalCore

/// A wall clock tests move by hand, so expiry and lockouts are tested without sleeping.
public final class TestClock: Sendable {
  private let milliseconds: Mutex<Int64>

  public init(startingAt start: Int64 = Int64(Clock.nowMilliseconds())) {
    milliseconds = Mutex(start)
  }

  public var now: Int64 { milliseconds.withLock { $0 } }

  public func advance(by duration: Duration) {
    let (seconds, attoseconds) = duration.components
    milliseconds.withLock { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
  }

  /// The clock to put in a configuration.
  public var wallClock: WallClock {
    WallClock { [self] in now }
  }
}
