import Foundation
import ThaiyyalCore

/// The users of one tenant. Every statement binds the tenant id.
struct SQLUserRepository: UserRepository {
  let db: any SQLConnection
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
  func create(_ user: User, passwordHash: String, limits: PlanLimits) throws {
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
    } catch let violation as SQLConstraintViolation {
      throw DomainError.alreadyExists(resource: "user", field: violation.column)
    }
  }

  /// A user of this tenant by id; `nil` for ids of other tenants.
  func find(id: UserID) throws -> User? {
    try db.fetchRow(
      "SELECT \(Self.columns) FROM users WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    ).map(Self.user)
  }

  /// Users that count against the quota (all but deleted ones).
  func countActive() throws -> Int64 {
    try db.fetchInt(
      "SELECT count(*) FROM users WHERE tenant_id = ? AND status != 'deleted'",
      [tenantID.rawValue]
    ) ?? 0
  }

  /// A user of this tenant by email or username (case-insensitive).
  func find(login: String) throws -> (user: User, passwordHash: String)? {
    try db.fetchRow(
      "SELECT \(Self.columns), password_hash FROM users WHERE tenant_id = ? AND (email = ? OR username = ?) LIMIT 1",
      [tenantID.rawValue, login, login]
    ).map { (Self.user($0), $0["password_hash"]) }
  }

  /// The stored password hash of a user.
  func passwordHash(id: UserID) throws -> String? {
    try db.fetchRow(
      "SELECT password_hash FROM users WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    )?["password_hash"]
  }

  /// Users oldest first, a page at a time (the cursor is the last id).
  func list(_ filter: UserFilter, page: PageRequest) throws -> Page<User> {
    var conditions = Conditions(tenantID: tenantID)
    conditions.equal("role", filter.role?.rawValue)
    conditions.equal("status", filter.status?.rawValue)
    if let prefix = filter.prefix, !prefix.isEmpty {
      let pattern = Conditions.likePattern(prefix: prefix)
      conditions.add(
        "(email LIKE ? ESCAPE '\\' OR username LIKE ? ESCAPE '\\')",
        [pattern, pattern]
      )
    }
    if let after = page.after { conditions.add("id > ?", [after]) }
    let rows = try db.fetchRows(
      "SELECT \(Self.columns) FROM users WHERE \(conditions.sql) ORDER BY id LIMIT ?",
      conditions.arguments + [page.size + 1]
    )
    let users = rows.prefix(page.size).map(Self.user)
    return Page(items: users, nextCursor: rows.count > page.size ? users.last?.id.rawValue : nil)
  }

  /// Saves `user` if its revision is still `expectedRevision`, raising the revision.
  ///
  /// - Throws: ``DomainError/conflict(resource:)`` when another change came first,
  ///   ``DomainError/alreadyExists(resource:field:)`` for a taken email or username.
  @discardableResult
  func save(_ user: User, expectedRevision: Int64) throws -> User {
    precondition(user.tenantID == tenantID, "a user is saved in its own tenant's scope")
    var saved = user
    saved.revision = expectedRevision + 1
    let changed: Int
    do {
      changed = try db.run(
        """
        UPDATE users SET email = ?, username = ?, display_name = ?, role = ?, status = ?, token_generation = ?,
          failed_logins = ?, locked_until = ?, last_login_at = ?, updated_at = ?, revision = ?
        WHERE tenant_id = ? AND id = ? AND revision = ?
        """,
        [
          saved.email, saved.username, saved.displayName, saved.role.rawValue,
          saved.status.rawValue,
          saved.tokenGeneration, saved.failedLogins, saved.lockedUntil, saved.lastLoginAt,
          saved.updatedAt,
          saved.revision, tenantID.rawValue, saved.id.rawValue, expectedRevision,
        ]
      )
    } catch let violation as SQLConstraintViolation {
      throw DomainError.alreadyExists(resource: "user", field: violation.column)
    }
    guard changed == 1 else { throw DomainError.conflict(resource: "user") }
    return saved
  }

  /// Counts a failed login; at `maxFailures` in a row the user is locked until `lockUntil`.
  ///
  /// - Returns: Whether this failure locked the user.
  func recordFailedLogin(id: UserID, maxFailures: Int64, lockUntil: Int64) throws -> Bool {
    try db.run(
      "UPDATE users SET failed_logins = failed_logins + 1 WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    )
    let failures =
      try db.fetchInt(
        "SELECT failed_logins FROM users WHERE tenant_id = ? AND id = ?",
        [tenantID.rawValue, id.rawValue]
      ) ?? 0
    guard failures >= maxFailures else { return false }
    try db.run(
      "UPDATE users SET failed_logins = 0, locked_until = ?, revision = revision + 1 WHERE tenant_id = ? AND id = ?",
      [lockUntil, tenantID.rawValue, id.rawValue]
    )
    return true
  }

  /// Records a successful login: clears failures and any lock, stamps the time.
  func recordLogin(id: UserID, at time: Int64) throws -> User? {
    try db.run(
      """
      UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?, revision = revision + 1
      WHERE tenant_id = ? AND id = ?
      """,
      [time, tenantID.rawValue, id.rawValue]
    )
    return try find(id: id)
  }

  /// Replaces a user's password hash.
  func setPasswordHash(id: UserID, _ hash: String) throws {
    try db.run(
      "UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?",
      [hash, tenantID.rawValue, id.rawValue]
    )
  }

  /// Removes a user.
  func delete(id: UserID) throws {
    try db.run(
      "DELETE FROM users WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    )
  }

  /// Active owners, for the rule that a tenant keeps at least one.
  func countActiveOwners() throws -> Int64 {
    try db.fetchInt(
      "SELECT count(*) FROM users WHERE tenant_id = ? AND role = 'owner' AND status = 'active'",
      [tenantID.rawValue]
    ) ?? 0
  }

  static func user(_ row: SQLRow) -> User {
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
