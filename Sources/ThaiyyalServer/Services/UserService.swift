import Foundation
import Logging
import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.UserService`: users of the caller's tenant, passwords and tokens.
///
/// Rules beyond the access table: admins manage users but not owners; only owners manage owners;
/// users may read and edit themselves; the last active owner cannot be demoted, suspended or
/// deleted. Every change is audited in its transaction and invalidates the user's cached state, so
/// it takes effect on the next call.
struct UserService: Thaiyyal_V1_UserService.ServiceProtocol {
  let store: SQLiteStore
  let tenants: TenantDirectory
  let identities: IdentityDirectory
  let tokens: TokenIssuer
  let plans: PlanCatalog
  let hasher: PasswordHasher
  let blocking: BlockingWork
  let security: SecurityPolicy
  /// Failed logins per source and account, checked before any hashing.
  let throttle: LoginThrottle
  let clock: WallClock

  /// A hash of a random password, verified against when the user does not exist, so that an unknown
  /// user costs the same time as a wrong password.
  let decoyHash: String

  func login(
    request: Thaiyyal_V1_LoginRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_LoginResponse {
    let failure = RPCError(
      .unauthenticated,
      "invalid tenant, login or password",
      details: [.errorInfo(reason: "INVALID_CREDENTIALS")]
    )
    guard request.tenant.utf8.count <= 64, request.login.utf8.count <= 320,
      request.password.utf8.count <= PasswordHasher.maximumLength
    else { throw failure }
    // A source that failed too often for this account gets the same answer without any work:
    // the same for every tenant and login, existing or not.
    let source = LoginThrottle.Key(
      tenant: request.tenant,
      login: request.login,
      source: context.peer.sourceKey
    )
    guard !throttle.isThrottled(source) else { throw failure }
    do {
      let response = try await login(request, context, failure: failure, source: source)
      throttle.recordSuccess(source)
      return response
    } catch let error as RPCError where error == failure {
      if throttle.recordFailure(source) {
        context.logger.notice(
          "login attempts from one source throttled",
          metadata: ["peer": "\(context.peer)"]
        )
      }
      throw error
    }
  }

  private func login(
    _ request: Thaiyyal_V1_LoginRequest,
    _ context: ServerContext,
    failure: RPCError,
    source: LoginThrottle.Key
  ) async throws -> Thaiyyal_V1_LoginResponse {
    let tenant = try await tenants.tenant(request.tenant)
    let scope = tenant.flatMap { $0.status == .deleted ? nil : TenantScope($0.id) }
    let login = request.login
    let found =
      try await scope.asyncMap { scope in
        try await store.read { tx in try tx.scoped(scope).users.find(login: login) }
      } ?? nil
    let password = request.password
    let hash = found?.passwordHash ?? decoyHash
    let matches = try await blocking.run { [hasher] in hasher.verify(password, against: hash) }
    guard let tenant, let scope else { throw failure }
    guard let found else {
      // Record the attempt, which also makes an unknown user cost the same write as a wrong
      // password. The attempted login is not stored: users sometimes type a password there.
      let entry = AuditContext(
        actorType: .anonymous,
        actorID: "anonymous",
        peer: context.peer.description,
        requestID: context.requestID
      ).entry(
        tenant: tenant.id,
        action: "user.login",
        resourceType: "user",
        resourceID: "",
        outcome: .failure,
        reason: "unknown user"
      )
      try await store.write { tx in try tx.scoped(scope).audit.append(entry) }
      throw failure
    }
    let (user, storedHash) = found

    let now = clock.nowMilliseconds()
    // Login events are the user's own, whoever relays them.
    let audit = AuditContext(
      actorType: .user,
      actorID: user.id.rawValue,
      peer: context.peer.description,
      requestID: context.requestID
    )
    if let lockedUntil = user.lockedUntil, lockedUntil > now {
      try await store.write { tx in
        try tx.scoped(scope).audit.append(
          audit.entry(
            tenant: tenant.id,
            action: "user.login",
            resourceType: "user",
            resourceID: user.id.rawValue,
            outcome: .failure,
            reason: "account locked"
          )
        )
      }
      throw failure
    }
    guard matches, user.status == .active else {
      let maxFailures = security.accountLockoutFailures
      let lockUntil = now + security.lockoutMilliseconds
      try await store.write { tx in
        let scoped = tx.scoped(scope)
        let locked =
          matches
          ? false
          : try scoped.users.recordFailedLogin(
            id: user.id,
            maxFailures: maxFailures,
            lockUntil: lockUntil
          )
        try scoped.audit.append(
          audit.entry(
            tenant: tenant.id,
            action: "user.login",
            resourceType: "user",
            resourceID: user.id.rawValue,
            outcome: .failure,
            reason: matches ? "user not active" : "wrong password"
          )
        )
        if locked {
          try scoped.audit.append(
            audit.entry(
              tenant: tenant.id,
              action: "user.locked",
              resourceType: "user",
              resourceID: user.id.rawValue,
              reason: "\(maxFailures) failed logins in a row"
            )
          )
        }
      }
      identities.invalidate(user.id)
      throw failure
    }
    let upgraded =
      hasher.needsRehash(storedHash)
      ? try await blocking.run { [hasher] in try hasher.hash(password) } : nil
    let saved = try await store.write { tx in
      let users = tx.scoped(scope).users
      guard let saved = try users.recordLogin(id: user.id, at: now) else { throw failure }
      if let upgraded { try users.setPasswordHash(id: user.id, upgraded) }
      try tx.scoped(scope).audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "user.login",
          resourceType: "user",
          resourceID: user.id.rawValue
        )
      )
      return saved
    }
    identities.invalidate(user.id)
    let (token, expiresAt) = try await tokens.issue(for: saved)
    var response = Thaiyyal_V1_LoginResponse()
    response.accessToken = token
    response.tokenType = "Bearer"
    response.expireTime = Google_Protobuf_Timestamp(milliseconds: expiresAt)
    response.user = saved.proto
    return response
  }

  func whoAmI(
    request: Thaiyyal_V1_WhoAmIRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_WhoAmIResponse {
    var response = Thaiyyal_V1_WhoAmIResponse()
    switch try context.requirePrincipal() {
    case .operator:
      response.operator = true
      if let tenant = context.resolvedTenant {
        response.tenantID = tenant.id.rawValue
        response.tenantSlug = tenant.slug
      }
    case .user(let id, let tenantID, _):
      guard let user = try await identities.user(id, in: tenantID) else {
        throw RPCError.unauthenticatedCall
      }
      response.user = user.proto
      response.tenantID = tenantID.rawValue
      response.tenantSlug = context.resolvedTenant?.slug ?? ""
    }
    return response
  }

  func createUser(
    request: Thaiyyal_V1_CreateUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let (tenant, scope) = try context.requireTenant()
    let role = request.role == .unspecified ? .member : try Self.role(request.role)
    try requireManage(role: role, context)
    var violations = Violations()
    UserRules.checkEmail(request.email, field: "email", &violations)
    UserRules.checkUsername(request.username, field: "username", &violations)
    violations.check(
      request.displayName.count <= 200,
      "display_name",
      "must be at most 200 characters"
    )
    if let problem = PasswordHasher.policyViolation(request.password) {
      violations.check(false, "password", problem)
    }
    try violations.throwIfAny()
    let password = request.password
    let hash = try await blocking.run { [hasher] in try hasher.hash(password) }
    let now = clock.nowMilliseconds()
    let user = User(
      tenantID: tenant.id,
      id: .generate(),
      email: request.email,
      username: request.username,
      displayName: request.displayName,
      role: role,
      status: .active,
      createdAt: now,
      updatedAt: now
    )
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    let audit = context.auditContext
    try await store.write { tx in
      try tx.scoped(scope).users.create(user, passwordHash: hash, limits: limits)
      try tx.scoped(scope).audit.append(UserRules.createdEntry(user, by: audit))
    }
    return user.proto
  }

  func getUser(
    request: Thaiyyal_V1_GetUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let (_, scope) = try context.requireTenant()
    return try await existingUser(request.id, scope).proto
  }

  func listUsers(
    request: Thaiyyal_V1_ListUsersRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListUsersResponse {
    let (_, scope) = try context.requireTenant()
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    var filter = UserRepository.Filter()
    filter.role = request.role == .unspecified ? nil : try Self.role(request.role)
    switch request.status {
    case .unspecified: filter.status = nil
    case .active: filter.status = .active
    case .suspended: filter.status = .suspended
    default: throw RPCError(.invalidArgument, "status: filter by ACTIVE or SUSPENDED")
    }
    guard request.prefix.utf8.count <= 320 else {
      throw RPCError(.invalidArgument, "prefix: too long")
    }
    filter.prefix = request.prefix
    let query = filter
    let result = try await store.read { tx in try tx.scoped(scope).users.list(query, page: page) }
    var response = Thaiyyal_V1_ListUsersResponse()
    response.users = result.items.map(\.proto)
    response.nextPageToken = PageToken.encode(result.nextCursor)
    return response
  }

  func updateUser(
    request: Thaiyyal_V1_UpdateUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let (tenant, scope) = try context.requireTenant()
    let current = try await existingUser(request.user.id, scope)
    let paths = Set(request.updateMask.paths)
    guard !paths.isEmpty else { throw RPCError(.invalidArgument, "update_mask names no field") }
    var violations = Violations()
    for path in paths.subtracting(["email", "username", "display_name", "role"]).sorted() {
      violations.check(false, "update_mask", "\(path) cannot be updated")
    }
    try violations.throwIfAny()
    if isSelf(current, context) && !paths.contains("role") {
      // Anyone may edit their own profile.
    } else {
      try requireManage(role: current.role, context)
    }
    var updated = current
    if paths.contains("email") {
      UserRules.checkEmail(request.user.email, field: "user.email", &violations)
      updated.email = request.user.email
    }
    if paths.contains("username") {
      UserRules.checkUsername(request.user.username, field: "user.username", &violations)
      updated.username = request.user.username
    }
    if paths.contains("display_name") {
      violations.check(
        request.user.displayName.count <= 200,
        "user.display_name",
        "must be at most 200 characters"
      )
      updated.displayName = request.user.displayName
    }
    if paths.contains("role") {
      updated.role = try Self.role(request.user.role)
      try requireManage(role: updated.role, context)
    }
    try violations.throwIfAny()
    if !request.etag.isEmpty && request.etag != current.etag {
      throw DomainError.conflict(resource: "user")
    }
    var changes = AuditChanges()
    changes.compare("email", current.email, updated.email)
    changes.compare("username", current.username, updated.username)
    changes.compare("display_name", current.displayName, updated.displayName)
    changes.compare("role", current.role.rawValue, updated.role.rawValue)
    guard !changes.isEmpty else { return current.proto }
    updated.updatedAt = clock.nowMilliseconds()
    let demotesOwner = current.role == .owner && updated.role != .owner
    return try await save(
      updated,
      current: current,
      tenant: tenant,
      scope: scope,
      action: "user.updated",
      changes: changes,
      keepsOwner: demotesOwner,
      context
    ).proto
  }

  func suspendUser(
    request: Thaiyyal_V1_SuspendUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    try await changeStatus(request.id, to: .suspended, action: "user.suspended", context).proto
  }

  func resumeUser(
    request: Thaiyyal_V1_ResumeUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    try await changeStatus(request.id, to: .active, action: "user.resumed", context).proto
  }

  func deleteUser(
    request: Thaiyyal_V1_DeleteUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_DeleteUserResponse {
    let (tenant, scope) = try context.requireTenant()
    let current = try await existingUser(request.id, scope)
    try requireManage(role: current.role, context)
    let audit = context.auditContext
    try await store.write { tx in
      let users = tx.scoped(scope).users
      try Self.requireAnotherOwner(besides: current, users)
      try users.delete(id: current.id)
      try tx.scoped(scope).audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "user.deleted",
          resourceType: "user",
          resourceID: current.id.rawValue
        )
      )
    }
    identities.invalidate(current.id)
    return Thaiyyal_V1_DeleteUserResponse()
  }

  func changePassword(
    request: Thaiyyal_V1_ChangePasswordRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ChangePasswordResponse {
    guard case .user(let id, _, _) = try context.requirePrincipal() else {
      throw RPCError(.failedPrecondition, "the operator has no password; sign in as a user")
    }
    let (tenant, scope) = try context.requireTenant()
    if let problem = PasswordHasher.policyViolation(request.newPassword) {
      throw RPCError(
        .invalidArgument,
        "new_password: \(problem)",
        details: [.badRequest([("new_password", problem)])]
      )
    }
    guard request.currentPassword.utf8.count <= PasswordHasher.maximumLength,
      let stored = try await store.read({ tx in try tx.scoped(scope).users.passwordHash(id: id) })
    else { throw RPCError.unauthenticatedCall }
    let current = request.currentPassword
    let new = request.newPassword
    guard try await blocking.run({ [hasher] in hasher.verify(current, against: stored) }) else {
      throw RPCError(
        .permissionDenied,
        "current_password is wrong",
        details: [.errorInfo(reason: "WRONG_PASSWORD")]
      )
    }
    let hash = try await blocking.run { [hasher] in try hasher.hash(new) }
    var changes = AuditChanges()
    changes.set("password", new: "changed")
    try await revokeTokens(
      of: id,
      tenant: tenant,
      scope: scope,
      action: "user.password_changed",
      changes: changes,
      context
    ) { users in
      try users.setPasswordHash(id: id, hash)
    }
    return Thaiyyal_V1_ChangePasswordResponse()
  }

  func logout(
    request: Thaiyyal_V1_LogoutRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_LogoutResponse {
    guard case .user(let id, _, _) = try context.requirePrincipal() else {
      throw RPCError(.failedPrecondition, "operator sessions end when their token expires")
    }
    let (tenant, scope) = try context.requireTenant()
    try await revokeTokens(
      of: id,
      tenant: tenant,
      scope: scope,
      action: "user.logout",
      changes: AuditChanges(),
      context
    )
    return Thaiyyal_V1_LogoutResponse()
  }

  // MARK: Helpers

  /// Raises a user's token generation, which revokes every token issued before, and audits it as
  /// `action`; `also` runs in the same transaction.
  private func revokeTokens(
    of id: UserID,
    tenant: Tenant,
    scope: TenantScope,
    action: String,
    changes: AuditChanges,
    _ context: ServerContext,
    also: @escaping @Sendable (UserRepository) throws -> Void = { _ in }
  ) async throws {
    let user = try await existingUser(id.rawValue, scope)
    var updated = user
    updated.tokenGeneration += 1
    updated.updatedAt = clock.nowMilliseconds()
    _ = try await save(
      updated,
      current: user,
      tenant: tenant,
      scope: scope,
      action: action,
      changes: changes,
      keepsOwner: false,
      context,
      also: also
    )
  }

  /// The last active owner of a tenant cannot stop being one (demoted, suspended or deleted).
  private static func requireAnotherOwner(besides user: User, _ users: UserRepository) throws {
    guard user.role == .owner, user.status == .active else { return }
    guard try users.countActiveOwners() > 1 else { throw lastOwner }
  }

  static let lastOwner = DomainError.failedPrecondition(
    reason: "LAST_OWNER",
    detail: "a tenant keeps at least one active owner; make another user owner first"
  )

  private func changeStatus(
    _ id: String,
    to status: User.Status,
    action: String,
    _ context: ServerContext
  ) async throws -> User {
    let (tenant, scope) = try context.requireTenant()
    let current = try await existingUser(id, scope)
    try requireManage(role: current.role, context)
    // Resuming an active user lifts a lockout: the way an admin or the operator unlocks one.
    let unlocks = status == .active && (current.lockedUntil != nil || current.failedLogins > 0)
    guard current.status != status || unlocks else { return current }
    var updated = current
    updated.status = status
    updated.updatedAt = clock.nowMilliseconds()
    if status == .suspended { updated.tokenGeneration += 1 }
    if status == .active {
      updated.failedLogins = 0
      updated.lockedUntil = nil
    }
    var changes = AuditChanges()
    changes.compare("status", current.status.rawValue, status.rawValue)
    changes.compare("locked", current.lockedUntil != nil, updated.lockedUntil != nil)
    changes.compare("failed_logins", current.failedLogins, updated.failedLogins)
    return try await save(
      updated,
      current: current,
      tenant: tenant,
      scope: scope,
      action: current.status == status ? "user.unlocked" : action,
      changes: changes,
      keepsOwner: current.role == .owner && status != .active,
      context
    )
  }

  private func save(
    _ user: User,
    current: User,
    tenant: Tenant,
    scope: TenantScope,
    action: String,
    changes: AuditChanges,
    keepsOwner: Bool,
    _ context: ServerContext,
    also: @escaping @Sendable (UserRepository) throws -> Void = { _ in }
  ) async throws -> User {
    let audit = context.auditContext
    let changesJSON = changes.json
    defer { identities.invalidate(user.id) }
    return try await store.write { tx in
      let users = tx.scoped(scope).users
      if keepsOwner { try Self.requireAnotherOwner(besides: current, users) }
      let saved = try users.save(user, expectedRevision: current.revision)
      try also(users)
      try tx.scoped(scope).audit.append(
        audit.entry(
          tenant: tenant.id,
          action: action,
          resourceType: "user",
          resourceID: user.id.rawValue,
          changesJSON: changesJSON
        )
      )
      return saved
    }
  }

  private func existingUser(_ id: String, _ scope: TenantScope) async throws -> User {
    guard UUIDv7.isValid(id) else {
      throw DomainError.notFound(resource: "user", id: String(id.prefix(64)))
    }
    let userID = UserID(id)
    guard let user = try await store.read({ tx in try tx.scoped(scope).users.find(id: userID) })
    else {
      throw DomainError.notFound(resource: "user", id: id)
    }
    return user
  }

  private func isSelf(_ user: User, _ context: ServerContext) -> Bool {
    if case .user(let id, _, _) = context.principal { return id == user.id }
    return false
  }

  /// Admins manage members and viewers and admins; only owners (and the operator) manage owners.
  private func requireManage(role target: Role, _ context: ServerContext) throws(RPCError) {
    switch try context.requirePrincipal() {
    case .operator:
      return
    case .user(_, _, let role):
      guard role >= .admin else {
        throw RPCError(.permissionDenied, "managing users needs the admin role or higher")
      }
      if target == .owner && role != .owner {
        throw RPCError(.permissionDenied, "only owners manage owners")
      }
    }
  }

  static func role(_ proto: Thaiyyal_V1_Role) throws(RPCError) -> Role {
    guard let role = Role(proto) else { throw RPCError(.invalidArgument, "role: unknown value") }
    return role
  }
}

/// Login lockout settings (`security.max_failed_logins`, `security.account_lockout_failures`,
/// `security.lockout_seconds`).
struct SecurityPolicy: Sendable {
  /// Per source; see ``LoginThrottle``.
  var maxFailedLogins: Int64 = 5
  /// Per account, from any sources: the stored lock.
  var accountLockoutFailures: Int64 = 20
  var lockoutMilliseconds: Int64 = 15 * 60 * 1000
}
