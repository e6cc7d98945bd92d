import Logging
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// Signing in with a tenant, a login and a password, and the rules that keep it from telling
/// anything away or being used to lock others out.
///
/// An unknown tenant, an unknown user, a wrong password, a locked account and a suspended user
/// all get the same answer after the same work (a password check against a decoy hash when there
/// is no user). A source that failed too often for one account is refused before any hashing
/// (``LoginThrottle``); the account itself locks after ``SecurityPolicy/accountLockoutFailures``
/// failures from any sources. Every attempt on an existing tenant is audited.
struct SignIn: Sendable {
  let store: any Persistence
  let tenants: TenantDirectory
  let identities: IdentityDirectory
  let tokens: TokenIssuer
  let passwords: Passwords
  let security: SecurityPolicy
  let throttle: LoginThrottle
  let clock: WallClock
  /// A hash of a random password, verified against when the user does not exist, so that an
  /// unknown user costs the same time as a wrong password.
  let decoyHash: String
  /// The organisation's tenant slug, when the server serves one: a login names no tenant, and
  /// naming another is an unknown tenant.
  var singleTenant: String?

  /// What a successful sign-in gives.
  struct Session: Sendable {
    let user: User
    let token: String
    let expiresAt: Int64
    let signedInAt: Int64
  }

  /// The one answer to every failed sign-in.
  static let failure = RPCError(
    .unauthenticated,
    "invalid tenant, login or password",
    details: [.errorInfo(reason: "INVALID_CREDENTIALS")]
  )

  func signIn(
    tenant tenantKey: String,
    login: String,
    password: String,
    context: ServerContext
  ) async throws -> Session {
    guard tenantKey.utf8.count <= 64, login.utf8.count <= 320,
      password.utf8.count <= PasswordHasher.maximumLength
    else { throw Self.failure }
    // A source that failed too often for this account gets the same answer without any work:
    // the same for every tenant and login, existing or not.
    let source = LoginThrottle.Key(tenant: tenantKey, login: login, source: context.peer.sourceKey)
    guard !throttle.isThrottled(source) else { throw Self.failure }
    do {
      let session = try await attempt(tenantKey, login, password, context)
      throttle.recordSuccess(source)
      return session
    } catch let error as RPCError where error == Self.failure {
      if throttle.recordFailure(source) {
        context.logger.notice(
          "login attempts from one source throttled",
          metadata: ["peer": "\(context.peer)"]
        )
      }
      throw error
    }
  }

  private func attempt(
    _ tenantKey: String,
    _ login: String,
    _ password: String,
    _ context: ServerContext
  ) async throws -> Session {
    let key = tenantKey.isEmpty ? singleTenant ?? tenantKey : tenantKey
    let tenant = try await tenants.tenant(key)
    let scope = tenant.flatMap { TenantResolution.scope(of: $0, organisation: singleTenant) }
    let found =
      try await scope.asyncMap { scope in
        try await store.read { tx in try tx.scoped(scope).users.find(login: login) }
      } ?? nil
    let matches = try await passwords.verify(password, against: found?.passwordHash ?? decoyHash)
    guard let tenant, let scope else { throw Self.failure }
    let now = clock.nowMilliseconds()
    // Sign-in events are the user's own, whoever relays them; an unknown user's are anonymous.
    func actor(_ actorType: AuditEntry.ActorType, _ actorID: String) -> AuditContext {
      AuditContext(
        actorType: actorType,
        actorID: actorID,
        peer: context.peer.description,
        requestID: context.requestID,
        time: now
      )
    }
    guard let (user, storedHash) = found else {
      // Record the attempt, which also makes an unknown user cost the same write as a wrong
      // password. The attempted login is not stored: users sometimes type a password there.
      let entry = actor(.anonymous, "anonymous").entry(
        tenant: tenant.id,
        .userLogin,
        resourceID: "",
        outcome: .failure,
        reason: "unknown user"
      )
      try await store.write { tx in try tx.scoped(scope).audit.append(entry) }
      throw Self.failure
    }
    let audit = actor(.user, user.id.rawValue)
    let locked = (user.lockedUntil ?? 0) > now
    guard matches, user.status == .active, !locked else {
      try await recordFailure(of: user, matches: matches, locked: locked, scope, audit)
      throw Self.failure
    }
    let upgraded = try await passwords.upgrade(password, from: storedHash)
    let saved = try await store.write { tx in
      let scoped = try tx.scoped(scope)
      guard let saved = try scoped.users.recordLogin(id: user.id, at: now) else {
        throw Self.failure
      }
      if let upgraded { try scoped.users.setPasswordHash(id: user.id, upgraded) }
      try scoped.audit.append(
        audit.entry(tenant: tenant.id, .userLogin, resourceID: user.id.rawValue)
      )
      return saved
    }
    identities.invalidate(user.id)
    let (token, expiresAt) = try await tokens.issue(for: saved)
    return Session(user: saved, token: token, expiresAt: expiresAt, signedInAt: now)
  }

  /// Audits a refused sign-in of an existing user; a wrong password also counts towards the
  /// account's lock, and the lock itself is audited when this failure sets it.
  private func recordFailure(
    of user: User,
    matches: Bool,
    locked lockedBefore: Bool,
    _ scope: TenantScope,
    _ audit: AuditContext
  ) async throws {
    let reason =
      lockedBefore ? "account locked" : matches ? "user not active" : "wrong password"
    let maxFailures = security.accountLockoutFailures
    let lockUntil = audit.time + security.lockoutMilliseconds
    try await store.write { tx in
      let scoped = try tx.scoped(scope)
      let locks =
        lockedBefore || matches
        ? false
        : try scoped.users.recordFailedLogin(
          id: user.id,
          maxFailures: maxFailures,
          lockUntil: lockUntil
        )
      let tenant = scope.tenantID
      try scoped.audit.append(
        audit.entry(
          tenant: tenant,
          .userLogin,
          resourceID: user.id.rawValue,
          outcome: .failure,
          reason: reason
        )
      )
      if locks {
        try scoped.audit.append(
          audit.entry(
            tenant: tenant,
            .userLocked,
            resourceID: user.id.rawValue,
            reason: "\(maxFailures) failed logins in a row"
          )
        )
      }
    }
    if !lockedBefore { identities.invalidate(user.id) }
  }
}

/// The account lock (`security.account_lockout_failures`, `security.lockout_seconds`); the
/// per-source limit (`security.max_failed_logins`) is ``LoginThrottle``'s.
struct SecurityPolicy: Sendable {
  /// Per account, from any sources: the stored lock.
  var accountLockoutFailures: Int64 = 20
  var lockoutMilliseconds: Int64 = 15 * 60 * 1000
}
