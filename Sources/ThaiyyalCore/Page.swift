/// A page request with a cursor. The cursor is opaque to clients (see the server's page tokens).
public struct PageRequest: Sendable, Hashable {
  /// The largest page a client may ask for.
  public static let maxSize = 1000
  public static let defaultSize = 50

  public var size: Int
  /// Continue after this key (exclusive), newest-first lists compare ids.
  public var after: String?

  public init(size: Int, after: String?) {
    self.size = size
    self.after = after
  }
}

/// One page of results and the cursor of the next, if any.
public struct Page<Item: Sendable>: Sendable {
  public var items: [Item]
  public var nextCursor: String?

  public init(items: [Item], nextCursor: String?) {
    self.items = items
    self.nextCursor = nextCursor
  }
}
