public import Logging
import Synchronization

/// Lets through at most `perSecond` log lines a second and counts the rest, so a flood of refused
/// calls cannot fill the disk with log. The first line after a suppressed stretch says how many
/// lines were left out (`suppressed`).
public final class LogSampler: Sendable {
  private struct Window {
    var start: ContinuousClock.Instant
    var written = 0
    var suppressed = 0
  }

  private let perSecond: Int
  private let window: Mutex<Window>
  private let now: @Sendable () -> ContinuousClock.Instant

  public init(
    perSecond: Int = 20,
    now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
  ) {
    self.perSecond = perSecond
    self.now = now
    window = Mutex(Window(start: now()))
  }

  /// Runs `write` with the number of lines suppressed since the last written one, or not at all
  /// when this second's lines are used up.
  public func sample(_ write: (_ suppressed: Int) -> Void) {
    let now = now()
    let decision: Int? = window.withLock { window in
      if now - window.start >= .seconds(1) {
        window.start = now
        window.written = 0
      }
      guard window.written < perSecond else {
        window.suppressed += 1
        return nil
      }
      window.written += 1
      defer { window.suppressed = 0 }
      return window.suppressed
    }
    if let suppressed = decision { write(suppressed) }
  }
}

extension Logger.Metadata {
  /// This metadata with `suppressed` added when lines were left out before it.
  public func noting(suppressed: Int) -> Self {
    guard suppressed > 0 else { return self }
    var metadata = self
    metadata["suppressed"] = "\(suppressed)"
    return metadata
  }
}
