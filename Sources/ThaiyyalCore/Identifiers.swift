/// An id that is a UUIDv7 string. Each kind of resource has its own type, so a user id cannot be
/// passed where a workflow id is expected.
public protocol UUIDv7Identifier: RawRepresentable, Hashable, Sendable, Codable,
  CustomStringConvertible
where RawValue == String {
  init(rawValue: String)
  /// What the id names, as NOT_FOUND errors say it (`workflow`).
  static var resource: String { get }
}

extension UUIDv7Identifier {
  public init(_ rawValue: String) { self.init(rawValue: rawValue) }

  /// The id a request names. Text that is not an id answers NOT_FOUND, exactly as a missing
  /// id does, so a caller cannot tell malformed from absent.
  public init(requested text: String) throws(DomainError) {
    guard UUIDv7.isValid(text) else {
      throw .notFound(resource: Self.resource, id: String(text.prefix(64)))
    }
    self.init(rawValue: text)
  }

  /// A new, time-ordered id.
  public static func generate() -> Self { Self(rawValue: UUIDv7.generate()) }
  public var description: String { rawValue }
}

/// A tenant's id.
public struct TenantID: UUIDv7Identifier {
  public static let resource = "tenant"
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
}

/// A user's id, unique across tenants.
public struct UserID: UUIDv7Identifier {
  public static let resource = "user"
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
}

/// A workflow's id, unique across tenants.
public struct WorkflowID: UUIDv7Identifier {
  public static let resource = "workflow"
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
}

/// An execution's id, unique across tenants; time-ordered, so newest-first lists sort by it.
public struct ExecutionID: UUIDv7Identifier {
  public static let resource = "execution"
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
}
