import GRDB
public import ThaiyyalCore

/// The users of one tenant. Every statement binds the tenant id.
public struct UserRepository {
  let db: Database
  let tenantID: TenantID

  static let columns = """
    tenant_id, id, email, username, display_name, role, status, token_generation, failed_logins,
    locked_until, last_login_at, created_at, updated_at, revision
    """

  /// Inserts a user after checking the tenant's user quota, in the caller's transaction, so
  /// concurrent creators can never exceed the limit.
  ///
  /// - Throws: ``DomainError/quotaExceeded(_:)`` at the limit, ``DomainError/alreadyExists(resource:field:)``
  ///   for a taken email or username.
  public func create(_ user: User, passwordHash: String, limits: PlanLimits) throws {
    precondition(user.tenantID == tenantID, "a user must be created in its own tenant's scope")
    let limit = Quota.users.limit(in: limits)
    if limit >= 0 {
      let used = try countActive()
      guard used < limit else {
        throw DomainError.quotaExceeded(QuotaViolation(quota: .users, limit: limit, used: used))
      }
    }
    do {
      try db.run(
        """
        INSERT INTO users (\(Self.columns), password_hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          tenantID.rawValue, user.id.rawValue, user.email, user.username, user.displayName,
          user.role.rawValue, user.status.rawValue, user.tokenGeneration, user.failedLogins,
          user.lockedUntil, user.lastLoginAt, user.createdAt, user.updatedAt, user.revision,
          passwordHash,
        ]
      )
    } catch let error as DatabaseError where error.uniqueColumn != nil {
      throw DomainError.alreadyExists(resource: "user", field: error.uniqueColumn!)
    }
  }

  /// A user of this tenant by id; `nil` for ids of other tenants.
  public func find(id: UserID) throws -> User? {
    try db.fetchRow(
      "SELECT \(Self.columns) FROM users WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    ).map(Self.user)
  }

  /// Users that count against the quota (all but deleted ones).
  public func countActive() throws -> Int64 {
    try db.fetchInt(
      "SELECT count(*) FROM users WHERE tenant_id = ? AND status != 'deleted'",
      [tenantID.rawValue]
    ) ?? 0
  }

  static func user(_ row: Row) -> User {
    User(
      tenantID: TenantID(row["tenant_id"] as String),
      id: UserID(row["id"] as String),
      email: row["email"],
      username: row["username"],
      displayName: row["display_name"],
      role: Role(rawValue: row["role"]) ?? .viewer,
      status: User.Status(rawValue: row["status"]) ?? .suspended,
      tokenGeneration: row["token_generation"],
      failedLogins: row["failed_logins"],
      lockedUntil: row["locked_until"],
      lastLoginAt: row["last_login_at"],
      createdAt: row["created_at"],
      updatedAt: row["updated_at"],
      revision: row["revision"]
    )
  }
}
