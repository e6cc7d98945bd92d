import Foundation
public import Logging

/// Writes one JSON object a line (to a ``LogSink``, or standard error): time, level, label, message and metadata.
///
/// For log collectors; on a terminal the executable uses swift-log's text handler instead.
/// Handlers must never be given secrets: interceptors add only ids to metadata.
public struct JSONLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  private let label: String
  private let sink: LogSink?
  private var override: Logger.Level?

  /// Writes to `sink` (at its level, which can change at run time), or to standard error at
  /// `.info` without one.
  public init(label: String, sink: LogSink? = nil) {
    self.label = label
    self.sink = sink
  }

  public var logLevel: Logger.Level {
    get { override ?? sink?.level ?? .info }
    set { override = newValue }
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var fields: [String: Any] = [
      "time": Self.timestamp(),
      "level": event.level.rawValue,
      "label": label,
      "message": "\(event.message)",
    ]
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { $1 } }
    for (key, value) in merged where fields[key] == nil {
      fields[key] = Self.jsonValue(value)
    }
    guard
      var data = try? JSONSerialization.data(
        withJSONObject: fields,
        options: [.sortedKeys, .withoutEscapingSlashes]
      )
    else { return }
    data.append(0x0A)
    if let sink { sink.write(data) } else { FileHandle.standardError.write(data) }
  }

  private static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
    switch value {
    case .string(let string): string
    case .stringConvertible(let convertible): convertible.description
    case .array(let array): array.map(jsonValue)
    case .dictionary(let dictionary): dictionary.mapValues(jsonValue)
    }
  }

  private static func timestamp() -> String { LogTime.now() }
}
