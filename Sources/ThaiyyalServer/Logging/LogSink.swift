public import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where the process's log lines go, and at what level: standard error or a file, which
/// ``reopen()`` opens afresh (after logrotate moved it away, on SIGHUP), and a level that can
/// change while the server runs (``level``). One per process, shared by every log handler.
public final class LogSink: Sendable {
  /// A file path, or `nil` for standard error.
  public let path: String?
  private let descriptor: Mutex<Int32>
  private let currentLevel: Atomic<UInt8>

  /// Opens `path` for appending (created 0640 when missing); standard error when `nil`.
  public init(path: String?, level: Logger.Level) throws {
    self.path = path
    descriptor = Mutex(try Self.open(path))
    currentLevel = Atomic(Self.code(level))
  }

  /// The lowest level written.
  public var level: Logger.Level {
    get { Self.levels[Int(currentLevel.load(ordering: .relaxed))] }
    set { currentLevel.store(Self.code(newValue), ordering: .relaxed) }
  }

  /// Whether standard error is a terminal (for `auto` format) when logging there.
  public var isTerminal: Bool { path == nil && isatty(STDERR_FILENO) == 1 }

  /// Appends one line (the caller ends it with a newline); a failed write is dropped, never
  /// allowed to stop the server.
  public func write(_ line: Data) {
    descriptor.withLock { fd in
      line.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
          let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
          if written <= 0 { return }
          offset += written
        }
      }
    }
  }

  /// Opens the file again at its path: after logrotate renamed it, new lines go to a new file.
  public func reopen() throws {
    guard path != nil else { return }
    let fresh = try Self.open(path)
    let old = descriptor.withLock { fd in
      defer { fd = fresh }
      return fd
    }
    close(old)
  }

  private static func open(_ path: String?) throws -> Int32 {
    guard let path else { return STDERR_FILENO }
    let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
    guard fd >= 0 else {
      throw ConfigurationError(
        "cannot open the log file \(path): \(String(cString: strerror(errno)))"
      )
    }
    return fd
  }

  private static let levels = Logger.Level.allCases

  private static func code(_ level: Logger.Level) -> UInt8 {
    UInt8(levels.firstIndex(of: level) ?? 2)
  }
}

/// Plain text lines for a file or a terminal: time, level, label, message, metadata.
public struct TextLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  private let label: String
  private let sink: LogSink
  private var override: Logger.Level?

  public init(label: String, sink: LogSink) {
    self.label = label
    self.sink = sink
  }

  /// The sink's level, which can change at run time, unless this logger set its own.
  public var logLevel: Logger.Level {
    get { override ?? sink.level }
    set { override = newValue }
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { $1 } }
    let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    let line =
      "\(LogTime.now()) \(event.level) \(label): \(event.message)"
      + (fields.isEmpty ? "" : " " + fields.joined(separator: " ")) + "\n"
    sink.write(Data(line.utf8))
  }
}

enum LogTime {
  static func now() -> String {
    Date().formatted(
      .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(
        separator: .omitted
      )
    )
  }
}
