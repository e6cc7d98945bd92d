import Foundation
import SwiftProtobuf

/// Prints responses: a readable summary or table on a terminal, Protobuf's canonical JSON mapping
/// with `--output json` (one object, or one per line for lists).
enum Output {
  static func object<M: Message>(
    _ message: M,
    _ format: OutputFormat,
    text: [(String, String)]
  ) throws {
    switch format {
    case .json:
      print(try message.jsonString())
    case .text:
      let width = text.map(\.0.count).max() ?? 0
      for (label, value) in text {
        print(label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
      }
    }
  }

  static func list<M: Message>(
    _ items: [M],
    _ format: OutputFormat,
    columns: [(String, (M) -> String)]
  ) throws {
    switch format {
    case .json:
      for item in items { print(try item.jsonString()) }
    case .text:
      let rows = [columns.map(\.0)] + items.map { item in columns.map { $0.1(item) } }
      let widths = columns.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
      for row in rows {
        let cells = row.enumerated().map { index, cell in
          index == row.count - 1
            ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
      }
    }
  }

  static func time(_ timestamp: Google_Protobuf_Timestamp) -> String {
    guard timestamp.seconds != 0 || timestamp.nanos != 0 else { return "-" }
    return timestamp.date.formatted(
      .iso8601.year().month().day().time(includingFractionalSeconds: false)
    )
  }

  /// `FOO_BAR` enum case names as the proto declares them, lower-cased without the type prefix.
  static func name(_ value: some Enum) -> String {
    let text = "\(value)"
    return text.isEmpty ? "-" : text
  }
}

/// Reads a secret from standard input (first line), never from the command line.
func readSecretFromStandardInput(_ what: String) throws -> String {
  guard let line = readLine(strippingNewline: true), !line.isEmpty else {
    throw UsageError("expected the \(what) on standard input")
  }
  return line
}

/// A usage problem found after parsing; exits with status 2.
struct UsageError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
