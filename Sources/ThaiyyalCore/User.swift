/// A person in one tenant.
public struct User: Sendable, Hashable {
  public enum Status: String, Sendable, Codable, CaseIterable {
    case active, suspended, deleted
  }

  public var tenantID: TenantID
  public var id: UserID
  public var email: String
  public var username: String
  public var displayName: String
  public var role: Role
  public var status: Status
  /// Raised by logout, password change, suspension and deletion; tokens carrying an older value
  /// are refused.
  public var tokenGeneration: Int64
  public var failedLogins: Int64
  public var lockedUntil: Int64?
  public var lastLoginAt: Int64?
  public var createdAt: Int64
  public var updatedAt: Int64
  public var revision: Int64

  public init(
    tenantID: TenantID,
    id: UserID,
    email: String,
    username: String,
    displayName: String,
    role: Role,
    status: Status,
    tokenGeneration: Int64 = 0,
    failedLogins: Int64 = 0,
    lockedUntil: Int64? = nil,
    lastLoginAt: Int64? = nil,
    createdAt: Int64,
    updatedAt: Int64,
    revision: Int64 = 1
  ) {
    self.tenantID = tenantID
    self.id = id
    self.email = email
    self.username = username
    self.displayName = displayName
    self.role = role
    self.status = status
    self.tokenGeneration = tokenGeneration
    self.failedLogins = failedLogins
    self.lockedUntil = lockedUntil
    self.lastLoginAt = lastLoginAt
    self.createdAt = createdAt
    self.updatedAt = updatedAt
    self.revision = revision
  }

  public var etag: String { "\"\(revision)\"" }
}
