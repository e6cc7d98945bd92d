/// An organisation served by the installation, with complete data isolation.
public struct Tenant: Sendable, Hashable {
  public enum Status: String, Sendable, Codable, CaseIterable {
    /// Serving normally.
    case active
    /// Read-only: writes and executions are refused.
    case suspended
    /// Soft-deleted: NOT_FOUND to everyone but the operator until purged.
    case deleted
  }

  public var id: TenantID
  public var slug: String
  public var name: String
  public var status: Status
  public var plan: Plan
  public var limitOverrides: PlanLimits
  /// A JSON object.
  public var settingsJSON: String
  public var customDomain: String?
  public var createdAt: Int64
  public var updatedAt: Int64
  public var deletedAt: Int64?
  /// Raised by every change; the etag is derived from it.
  public var revision: Int64

  public init(
    id: TenantID,
    slug: String,
    name: String,
    status: Status,
    plan: Plan,
    limitOverrides: PlanLimits,
    settingsJSON: String,
    customDomain: String?,
    createdAt: Int64,
    updatedAt: Int64,
    deletedAt: Int64?,
    revision: Int64
  ) {
    self.id = id
    self.slug = slug
    self.name = name
    self.status = status
    self.plan = plan
    self.limitOverrides = limitOverrides
    self.settingsJSON = settingsJSON
    self.customDomain = customDomain
    self.createdAt = createdAt
    self.updatedAt = updatedAt
    self.deletedAt = deletedAt
    self.revision = revision
  }

  /// The opaque version tag clients send back for optimistic concurrency.
  public var etag: String { "\"\(revision)\"" }
}

/// Rules for tenant slugs: `^[a-z0-9](-?[a-z0-9])*$`, 3 to 63 characters.
public enum Slug {
  public static func isValid(_ slug: String) -> Bool {
    let bytes = Array(slug.utf8)
    guard (3 ... 63).contains(bytes.count) else { return false }
    func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
    guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
    for (previous, current) in zip(bytes, bytes.dropFirst()) {
      if current == UInt8(ascii: "-") {
        guard previous != UInt8(ascii: "-") else { return false }
      } else if !alnum(current) {
        return false
      }
    }
    return true
  }
}
