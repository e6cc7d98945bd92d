import Synchronization

/// Request ids: short, unique within a process run, and cheap to make on the hot path.
///
/// A generated id is a per-process random prefix plus a counter (`5f3a9c01-1a2b`). A client-sent
/// `x-request-id` is accepted when it is 1...128 printable ASCII characters with no spaces, so
/// it cannot inject lines or fields into logs.
public enum RequestID {
  private static let prefix: String = {
    let value = UInt32.random(in: .min ... .max)
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }()

  private static let counter = Atomic<UInt64>(0)

  /// A new id.
  public static func next() -> String {
    format(nextNumber())
  }

  /// The number of a new id; ``format(_:)`` turns it into the id. Splitting the two lets a call
  /// reserve its id without building a string it may never need.
  public static func nextNumber() -> UInt64 {
    counter.wrappingAdd(1, ordering: .relaxed).newValue
  }

  /// The id for a number from ``nextNumber()``.
  public static func format(_ number: UInt64) -> String {
    prefix + "-" + String(number, radix: 16)
  }

  /// `candidate` if it is a safe id to echo, else `nil`.
  public static func accept(_ candidate: String?) -> String? {
    guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 128 else { return nil }
    guard candidate.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
    return candidate
  }
}
