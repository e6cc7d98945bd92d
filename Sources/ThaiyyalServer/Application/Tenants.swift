import Foundation
import ThaiyyalCore
import ThaiyyalStore

/// The lifecycle of tenants and the rules that guard it: a tenant is created with its first
/// owner; users see only their own tenant and never a deleted one; only the operator changes a
/// plan or limits; a deleted tenant can only be purged. Every change is audited, in the tenant's
/// own log, in its transaction; the operator reaches a tenant through ``CrossTenantAccess``.
struct Tenants: Sendable {
  let store: any Persistence
  let directory: TenantDirectory
  let plans: PlanCatalog
  let passwords: Passwords

  /// A tenant to create, its fields checked, and its first owner.
  struct NewTenant: Sendable {
    var slug: String
    var name: String
    var plan: Plan
    var settingsJSON: String
    var customDomain: String?
    var owner: Accounts.NewUser
  }

  /// The fields an update sets; `nil` leaves a field as it is.
  struct Edit: Sendable {
    var name: String?
    var settingsJSON: String?
    /// `.some(nil)` clears the domain.
    var customDomain: String??
    var plan: Plan?
    var limitOverrides: PlanLimits?
    var etag = ""
  }

  func create(_ new: NewTenant, audit: AuditContext) async throws -> (Tenant, User) {
    let hash = try await passwords.hash(new.owner.password)
    let now = audit.time
    let (tenant, created) = Self.newTenant(
      slug: new.slug,
      name: new.name,
      plan: new.plan,
      settingsJSON: new.settingsJSON,
      customDomain: new.customDomain,
      audit: audit
    )
    let owner = User(
      tenantID: tenant.id,
      id: .generate(),
      email: new.owner.email,
      username: new.owner.username,
      displayName: new.owner.displayName,
      role: .owner,
      status: .active,
      createdAt: now,
      updatedAt: now
    )
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    try await store.write { tx in
      try tx.tenants.create(tenant)
      let scoped = try tx.scoped(CrossTenantAccess.scope(of: tenant.id, for: .tenantAdministration))
      try scoped.users.create(owner, passwordHash: hash, limits: limits)
      try scoped.audit.append(created)
      try scoped.audit.append(Accounts.createdEntry(owner, by: audit))
    }
    return (tenant, owner)
  }

  /// A new active tenant without limit overrides, and the audit entry recording its creation.
  static func newTenant(
    slug: String,
    name: String,
    plan: Plan,
    settingsJSON: String,
    customDomain: String?,
    audit: AuditContext,
    reason: String = ""
  ) -> (Tenant, AuditEntry) {
    let tenant = Tenant(
      id: .generate(),
      slug: slug,
      name: name,
      status: .active,
      plan: plan,
      limitOverrides: PlanLimits(),
      settingsJSON: settingsJSON,
      customDomain: customDomain,
      createdAt: audit.time,
      updatedAt: audit.time,
      deletedAt: nil,
      revision: 1
    )
    var changes = AuditChanges()
    changes.set("slug", new: tenant.slug)
    changes.set("name", new: tenant.name)
    changes.set("plan", new: tenant.plan.rawValue)
    let created = audit.entry(
      tenant: tenant.id,
      .tenantCreated,
      resourceID: tenant.id.rawValue,
      changes: changes.json,
      reason: reason
    )
    return (tenant, created)
  }

  /// The tenant of a server that serves one organisation, created (active, on the enterprise
  /// plan, without users: the socket's owner, the operator, adds them) when it does not exist.
  /// Several servers starting at once on one database create it once.
  static func ensureOrganisation(
    _ slug: String,
    store: any Persistence,
    at now: Int64
  ) async throws -> Tenant {
    if let existing = try await store.read({ tx in try tx.tenants.find(slug) }) {
      return existing
    }
    let (tenant, created) = newTenant(
      slug: slug,
      name: slug,
      plan: .enterprise,
      settingsJSON: "{}",
      customDomain: nil,
      audit: .system(at: now),
      reason: "the organisation's tenant (multi_tenant.enabled: false)"
    )
    do {
      try await store.write { tx in
        try tx.tenants.create(tenant)
        try tx.scoped(CrossTenantAccess.scope(of: tenant.id, for: .tenantAdministration)).audit
          .append(created)
      }
      return tenant
    } catch DomainError.alreadyExists {
      guard let existing = try await store.read({ tx in try tx.tenants.find(slug) }) else {
        throw DomainError.notFound(resource: "tenant", id: slug)
      }
      return existing
    }
  }

  /// Tenants in `statuses`, on `plan` when given (the operator's directory).
  func list(statuses: [Tenant.Status], plan: Plan?, page: PageRequest) async throws -> Page<Tenant>
  {
    try await store.read { tx in try tx.tenants.list(statuses: statuses, plan: plan, page: page) }
  }

  /// The tenant named by `key` (id or slug) as `principal` may see it: the operator sees every
  /// tenant; a user sees only its own, and never a deleted one. Anything else is NOT_FOUND.
  func visible(_ key: String, to principal: Principal?) async throws -> Tenant {
    guard key.utf8.count <= 64, let tenant = try await directory.tenant(key) else {
      throw DomainError.notFound(resource: "tenant", id: String(key.prefix(64)))
    }
    switch principal {
    case .operator:
      return tenant
    case .user(_, let tenantID, _) where tenantID == tenant.id && tenant.status != .deleted:
      return tenant
    default:
      throw DomainError.notFound(resource: "tenant", id: key)
    }
  }

  func update(_ current: Tenant, _ edit: Edit, audit: AuditContext) async throws -> Tenant {
    if edit.plan != nil || edit.limitOverrides != nil, audit.actorType != .operator {
      throw DomainError.permissionDenied(
        detail: "only the platform operator may change the plan or limits"
      )
    }
    if !edit.etag.isEmpty && edit.etag != current.etag {
      throw DomainError.conflict(resource: "tenant")
    }
    var updated = current
    updated.name = edit.name ?? current.name
    updated.settingsJSON = edit.settingsJSON ?? current.settingsJSON
    updated.customDomain = edit.customDomain ?? current.customDomain
    updated.plan = edit.plan ?? current.plan
    updated.limitOverrides = edit.limitOverrides ?? current.limitOverrides
    var changes = AuditChanges()
    changes.compare("name", current.name, updated.name)
    changes.compare("settings_json", current.settingsJSON, updated.settingsJSON)
    changes.compare("custom_domain", current.customDomain ?? "", updated.customDomain ?? "")
    changes.compare("plan", current.plan.rawValue, updated.plan.rawValue)
    changes.compare(
      "limit_overrides",
      Self.json(current.limitOverrides),
      Self.json(updated.limitOverrides)
    )
    guard !changes.isEmpty else { return current }
    return try await save(updated, current, .tenantUpdated, changes, audit)
  }

  /// Suspends, resumes or deletes a tenant; a deleted one stays deleted until it is purged.
  func transition(
    _ current: Tenant,
    to status: Tenant.Status,
    reason: String,
    audit: AuditContext
  ) async throws -> Tenant {
    if current.status == status { return current }
    if current.status == .deleted {
      throw DomainError.failedPrecondition(
        reason: "TENANT_DELETED",
        detail: "tenant \(current.slug) is deleted; it can only be purged"
      )
    }
    var updated = current
    updated.status = status
    updated.deletedAt = status == .deleted ? audit.time : nil
    var changes = AuditChanges()
    changes.compare("status", current.status.rawValue, status.rawValue)
    if !reason.isEmpty { changes.set("reason", new: reason) }
    let action: AuditAction =
      switch status {
      case .active: .tenantResumed
      case .suspended: .tenantSuspended
      case .deleted: .tenantDeleted
      }
    return try await save(updated, current, action, changes, audit)
  }

  /// Removes a deleted tenant's every row, leaving a tombstone; returns the rows deleted per table.
  func purge(_ tenant: Tenant, audit: AuditContext) async throws -> [String: Int64] {
    defer { directory.invalidate() }
    return try await store.write { tx in
      // Re-read inside the transaction: the decision and the purge must see the same state.
      guard let current = try tx.tenants.find(id: tenant.id) else {
        throw DomainError.notFound(resource: "tenant", id: tenant.id.rawValue)
      }
      return try tx.tenants.purge(current, audit: audit, at: audit.time)
    }
  }

  /// Each quota of a visible tenant: its limit, what is used and when it resets. `call` is the
  /// caller's own tenant call, if it has one; any other tenant is the operator's to read.
  func usage(
    of tenant: Tenant,
    at now: Int64,
    call: TenantCall?
  ) async throws -> [(quota: Quota, limit: Int64, used: Int64, resets: Int64?)] {
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    let scope =
      call.flatMap { $0.tenant.id == tenant.id ? $0.scope : nil }
      ?? CrossTenantAccess.scope(of: tenant.id, for: .tenantAdministration)
    return try await store.read { tx in
      let usage = try tx.scoped(scope).usage
      return try Quota.allCases.map { quota in
        let (used, resetsAt) = try usage.used(quota, now: now)
        return (quota, quota.limit(in: limits), used, resetsAt)
      }
    }
  }

  private func save(
    _ tenant: Tenant,
    _ current: Tenant,
    _ action: AuditAction,
    _ changes: AuditChanges,
    _ audit: AuditContext
  ) async throws -> Tenant {
    var tenant = tenant
    tenant.updatedAt = audit.time
    let entry = audit.entry(
      tenant: tenant.id,
      action,
      resourceID: tenant.id.rawValue,
      changes: changes.json
    )
    let scope = CrossTenantAccess.scope(of: tenant.id, for: .tenantAdministration)
    defer { directory.invalidate() }
    return try await store.write { [tenant] tx in
      let saved = try tx.tenants.update(tenant, expectedRevision: current.revision)
      try tx.scoped(scope).audit.append(entry)
      return saved
    }
  }

  static func json(_ limits: PlanLimits) -> String {
    (try? String(decoding: JSONEncoder().encode(limits), as: UTF8.self)) ?? "{}"
  }
}
