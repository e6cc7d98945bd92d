/// How the SQLite database is opened.
public struct StoreConfiguration: Sendable {
  /// `FULL` (default) makes an acknowledged write survive power loss; `NORMAL` is faster and can
  /// lose the last transactions on power loss (never on a process crash) in WAL mode.
  public enum Synchronous: String, Sendable, CaseIterable {
    case full = "FULL"
    case normal = "NORMAL"
  }

  /// The database file, e.g. `./data/thaiyyal.db`.
  public var path: String
  public var synchronous: Synchronous = .full
  /// How long a writer waits for another writer's lock before failing.
  public var busyTimeout: Duration = .seconds(5)
  /// Concurrent readers (WAL lets them run beside the one writer).
  public var maximumReaders: Int = 4
  /// Sees every SQL statement run, for tests that check tenant scoping. `nil` in production.
  public var statementObserver: (@Sendable (String) -> Void)?

  public init(path: String) {
    self.path = path
  }
}
