/// A tenant's id: a UUIDv7 string.
public struct TenantID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(_ rawValue: String) { self.rawValue = rawValue }
  /// A new, time-ordered id.
  public static func generate() -> TenantID { TenantID(UUIDv7.generate()) }
  public var description: String { rawValue }
}

/// A user's id: a UUIDv7 string, unique across tenants.
public struct UserID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public static func generate() -> UserID { UserID(UUIDv7.generate()) }
  public var description: String { rawValue }
}
