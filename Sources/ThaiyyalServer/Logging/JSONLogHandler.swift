import Foundation
public import Logging

/// Writes one JSON object a line to standard error: time, level, label, message and metadata.
///
/// For log collectors; on a terminal the executable uses swift-log's text handler instead.
/// Handlers must never be given secrets: interceptors add only ids to metadata.
public struct JSONLogHandler: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]
  private let label: String

  public init(label: String) {
    self.label = label
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
    FileHandle.standardError.write(data)
  }

  private static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
    switch value {
    case .string(let string): string
    case .stringConvertible(let convertible): convertible.description
    case .array(let array): array.map(jsonValue)
    case .dictionary(let dictionary): dictionary.mapValues(jsonValue)
    }
  }

  private static func timestamp() -> String {
    Date().formatted(
      .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(
        separator: .omitted
      )
    )
  }
}
