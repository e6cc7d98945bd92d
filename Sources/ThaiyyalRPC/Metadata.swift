/// Key-value pairs sent with a call (ttrpc `KeyValue`s).
///
/// Keys are matched case-insensitively: they are lower-cased when added, so `Authorization` and
/// `authorization` are one key. A key may repeat; ``subscript(_:)`` returns the first value.
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
  public typealias Element = (key: String, value: String)

  private var storage: [Entry]

  private struct Entry: Hashable, Sendable {
    var key: String
    var value: String
  }

  public init() { storage = [] }

  public init(dictionaryLiteral elements: (String, String)...) {
    storage = []
    storage.reserveCapacity(elements.count)
    for (key, value) in elements { add(key, value) }
  }

  /// Appends a value; an existing value for the same key is kept.
  public mutating func add(_ key: String, _ value: String) {
    storage.append(Entry(key: Self.normalize(key), value: value))
  }

  /// Replaces every value of `key` with `value`.
  public mutating func set(_ key: String, _ value: String) {
    let key = Self.normalize(key)
    storage.removeAll { $0.key == key }
    storage.append(Entry(key: key, value: value))
  }

  /// Removes every value of `key`.
  public mutating func remove(_ key: String) {
    let key = Self.normalize(key)
    storage.removeAll { $0.key == key }
  }

  /// The first value of `key`, or `nil`.
  public subscript(_ key: String) -> String? {
    let key = Self.normalize(key)
    return storage.first { $0.key == key }?.value
  }

  /// Every value of `key`, in the order received.
  public func values(for key: String) -> [String] {
    let key = Self.normalize(key)
    return storage.filter { $0.key == key }.map(\.value)
  }

  public var count: Int { storage.count }
  public var isEmpty: Bool { storage.isEmpty }

  public func makeIterator() -> some IteratorProtocol<Element> {
    storage.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
  }

  /// Lower-cases ASCII only; keys are ASCII by convention, and this avoids Unicode case mapping
  /// on the hot path.
  private static func normalize(_ key: String) -> String {
    guard key.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return key }
    return String(
      decoding: key.utf8.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 },
      as: UTF8.self
    )
  }
}

extension Metadata {
  /// Well-known keys of our conventions (DESIGN.md section 3).
  public enum WellKnown {
    public static let authorization = "authorization"
    public static let tenant = "x-tenant"
    public static let requestID = "x-request-id"
    public static let traceparent = "traceparent"
  }
}
