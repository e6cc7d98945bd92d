import ThaiyyalCore
import ThaiyyalRPC
import ThaiyyalStore

/// The users of a tenant and the rules that guard them, each change audited in its transaction.
///
/// Admins manage users but not owners; only owners (and the operator) manage owners; users may
/// edit their own profile; the last active owner cannot be demoted, suspended or deleted.
/// Resuming a user lifts a lockout. Every change forgets the user's cached state after it commits,
/// so it takes effect on the next call.
struct Accounts: Sendable {
  let store: any Persistence
  let identities: IdentityDirectory
  let passwords: Passwords

  /// A user to create, its fields already checked.
  struct NewUser: Sendable {
    var email: String
    var username: String
    var displayName: String
    var role: Role
    var password: String
  }

  /// The fields an update sets; `nil` leaves a field as it is.
  struct Edit: Sendable {
    var email: String?
    var username: String?
    var displayName: String?
    var role: Role?
  }

  func create(_ new: NewUser, in call: TenantCall) async throws -> User {
    try Self.requireManage(role: new.role, call)
    let hash = try await passwords.hash(new.password)
    let user = User(
      tenantID: call.tenant.id,
      id: .generate(),
      email: new.email,
      username: new.username,
      displayName: new.displayName,
      role: new.role,
      status: .active,
      createdAt: call.now,
      updatedAt: call.now
    )
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      try scoped.users.create(user, passwordHash: hash, limits: call.limits)
      try scoped.audit.append(Self.createdEntry(user, by: call.audit))
    }
    return user
  }

  /// The audit entry of a new user (email, username, role), written in the transaction that
  /// creates it; tenant creation writes it for the first owner.
  static func createdEntry(_ user: User, by audit: AuditContext) -> AuditEntry {
    var changes = AuditChanges()
    changes.set("email", new: user.email)
    changes.set("username", new: user.username)
    changes.set("role", new: user.role.rawValue)
    return audit.entry(
      tenant: user.tenantID,
      .userCreated,
      resourceID: user.id.rawValue,
      changes: changes.json
    )
  }

  /// A user of the call's tenant; NOT_FOUND for anything else, including malformed ids.
  func user(_ id: String, in call: TenantCall) async throws -> User {
    let userID = try UserID(requested: id)
    let found = try await store.read { tx in try tx.scoped(call.scope).users.find(id: userID) }
    guard let found else { throw DomainError.notFound(resource: "user", id: id) }
    return found
  }

  func list(
    _ filter: UserFilter,
    page: PageRequest,
    in call: TenantCall
  ) async throws -> Page<User> {
    try await store.read { tx in try tx.scoped(call.scope).users.list(filter, page: page) }
  }

  func update(_ id: String, _ edit: Edit, etag: String, in call: TenantCall) async throws -> User {
    let current = try await user(id, in: call)
    if edit.role != nil || current.id != call.userID {
      try Self.requireManage(role: current.role, call)
    }
    if let role = edit.role { try Self.requireManage(role: role, call) }
    if !etag.isEmpty && etag != current.etag { throw DomainError.conflict(resource: "user") }
    var updated = current
    updated.email = edit.email ?? current.email
    updated.username = edit.username ?? current.username
    updated.displayName = edit.displayName ?? current.displayName
    updated.role = edit.role ?? current.role
    var changes = AuditChanges()
    changes.compare("email", current.email, updated.email)
    changes.compare("username", current.username, updated.username)
    changes.compare("display_name", current.displayName, updated.displayName)
    changes.compare("role", current.role.rawValue, updated.role.rawValue)
    guard !changes.isEmpty else { return current }
    let demotesOwner = current.role == .owner && updated.role != .owner
    return try await save(updated, current, .userUpdated, changes, keepsOwner: demotesOwner, call)
  }

  /// Suspends (revoking every token) or resumes a user; resuming also lifts a lockout, audited as
  /// `user.unlocked` when the user was active already.
  func setStatus(_ id: String, _ status: User.Status, in call: TenantCall) async throws -> User {
    let current = try await user(id, in: call)
    try Self.requireManage(role: current.role, call)
    let unlocks = status == .active && (current.lockedUntil != nil || current.failedLogins > 0)
    guard current.status != status || unlocks else { return current }
    var updated = current
    updated.status = status
    if status == .suspended { updated.tokenGeneration += 1 }
    if status == .active {
      updated.failedLogins = 0
      updated.lockedUntil = nil
    }
    var changes = AuditChanges()
    changes.compare("status", current.status.rawValue, status.rawValue)
    changes.compare("locked", current.lockedUntil != nil, updated.lockedUntil != nil)
    changes.compare("failed_logins", current.failedLogins, updated.failedLogins)
    let action: AuditAction =
      current.status == status ? .userUnlocked : status == .active ? .userResumed : .userSuspended
    let keepsOwner = current.role == .owner && status != .active
    return try await save(updated, current, action, changes, keepsOwner: keepsOwner, call)
  }

  func delete(_ id: String, in call: TenantCall) async throws {
    let current = try await user(id, in: call)
    try Self.requireManage(role: current.role, call)
    defer { identities.invalidate(current.id) }
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      try Self.requireAnotherOwner(besides: current, scoped.users)
      try scoped.users.delete(id: current.id)
      try scoped.audit.append(call.entry(.userDeleted, resourceID: current.id.rawValue))
    }
  }

  /// Sets the caller's own password after checking the current one; revokes every token.
  func changePassword(current: String, new: String, in call: TenantCall) async throws {
    guard let id = call.userID else {
      throw DomainError.failedPrecondition(
        reason: "OPERATOR_HAS_NO_PASSWORD",
        detail: "the operator has no password; sign in as a user"
      )
    }
    let scope = call.scope
    guard current.utf8.count <= PasswordHasher.maximumLength,
      let stored = try await store.read({ tx in try tx.scoped(scope).users.passwordHash(id: id) })
    else { throw RPCError.unauthenticatedCall }
    guard try await passwords.verify(current, against: stored) else {
      throw DomainError.permissionDenied(
        detail: "current_password is wrong",
        reason: "WRONG_PASSWORD"
      )
    }
    let hash = try await passwords.hash(new)
    var changes = AuditChanges()
    changes.set("password", new: "changed")
    try await revokeTokens(of: id, .userPasswordChanged, changes, call) { users in
      try users.setPasswordHash(id: id, hash)
    }
  }

  /// Sets another user's password, as an admin (or the operator) may: revokes the user's tokens
  /// and lifts a lockout. Users change their own with ``changePassword(current:new:in:)``, which
  /// asks for the current one.
  func setPassword(_ id: String, _ password: String, in call: TenantCall) async throws -> User {
    let current = try await user(id, in: call)
    guard current.id != call.userID else {
      throw DomainError.failedPrecondition(
        reason: "OWN_PASSWORD",
        detail: "change your own password with ChangePassword, which checks the current one"
      )
    }
    try Self.requireManage(role: current.role, call)
    let hash = try await passwords.hash(password)
    var changes = AuditChanges()
    changes.set("password", new: "set by an admin")
    var updated = current
    updated.tokenGeneration += 1
    updated.failedLogins = 0
    updated.lockedUntil = nil
    return try await save(
      updated,
      current,
      .userPasswordChanged,
      changes,
      keepsOwner: false,
      call
    ) { users in
      try users.setPasswordHash(id: current.id, hash)
    }
  }

  /// Ends every session of the caller by revoking its tokens.
  func logout(in call: TenantCall) async throws {
    guard let id = call.userID else {
      throw DomainError.failedPrecondition(
        reason: "OPERATOR_SESSION",
        detail: "operator sessions end when their token expires"
      )
    }
    try await revokeTokens(of: id, .userLogout, AuditChanges(), call)
  }

  // MARK: Rules

  /// Admins manage members, viewers and admins; only owners (and the operator) manage owners.
  static func requireManage(role target: Role, _ call: TenantCall) throws(DomainError) {
    guard case .user(_, _, let role) = call.principal else { return }
    guard role >= .admin else {
      throw .permissionDenied(detail: "managing users needs the admin role or higher")
    }
    if target == .owner && role != .owner {
      throw .permissionDenied(detail: "only owners manage owners")
    }
  }

  /// The last active owner of a tenant cannot stop being one (demoted, suspended or deleted).
  static func requireAnotherOwner(besides user: User, _ users: any UserRepository) throws {
    guard user.role == .owner, user.status == .active else { return }
    guard try users.countActiveOwners() > 1 else { throw lastOwner }
  }

  static let lastOwner = DomainError.failedPrecondition(
    reason: "LAST_OWNER",
    detail: "a tenant keeps at least one active owner; make another user owner first"
  )

  // MARK: Saving

  /// Raises a user's token generation, which revokes every token issued before, and audits it as
  /// `action`; `also` runs in the same transaction.
  private func revokeTokens(
    of id: UserID,
    _ action: AuditAction,
    _ changes: AuditChanges,
    _ call: TenantCall,
    also: @escaping @Sendable (any UserRepository) throws -> Void = { _ in }
  ) async throws {
    let current = try await user(id.rawValue, in: call)
    var updated = current
    updated.tokenGeneration += 1
    _ = try await save(updated, current, action, changes, keepsOwner: false, call, also: also)
  }

  /// Stores `user` if nobody changed it since `current` was read, with its audit entry.
  private func save(
    _ user: User,
    _ current: User,
    _ action: AuditAction,
    _ changes: AuditChanges,
    keepsOwner: Bool,
    _ call: TenantCall,
    also: @escaping @Sendable (any UserRepository) throws -> Void = { _ in }
  ) async throws -> User {
    var user = user
    user.updatedAt = call.now
    let entry = call.entry(action, resourceID: user.id.rawValue, changes: changes)
    defer { identities.invalidate(user.id) }
    return try await store.write { [user] tx in
      let scoped = try tx.scoped(call.scope)
      if keepsOwner { try Self.requireAnotherOwner(besides: current, scoped.users) }
      let saved = try scoped.users.save(user, expectedRevision: current.revision)
      try also(scoped.users)
      try scoped.audit.append(entry)
      return saved
    }
  }
}
