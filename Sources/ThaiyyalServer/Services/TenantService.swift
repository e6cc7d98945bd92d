import Foundation
import Logging
import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.TenantService`: the lifecycle of tenants. Every mutation writes its audit entry in
/// the same transaction as the change.
struct TenantService: Thaiyyal_V1_TenantService.ServiceProtocol {
  let store: SQLiteStore
  let tenants: TenantDirectory
  let plans: PlanCatalog
  let hasher: PasswordHasher
  let blocking: BlockingWork

  func createTenant(
    request: Thaiyyal_V1_CreateTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_CreateTenantResponse {
    var violations = Violations()
    violations.check(
      Slug.isValid(request.slug),
      "slug",
      "must match ^[a-z0-9](-?[a-z0-9])*$ and be 3 to 63 characters"
    )
    Self.checkName(request.name, &violations)
    violations.check(
      request.plan == .unspecified || Plan(request.plan) != nil,
      "plan",
      "unknown plan"
    )
    Self.checkSettings(request.settingsJson, &violations)
    Self.checkCustomDomain(request.customDomain, &violations)
    UserRules.checkEmail(request.ownerEmail, field: "owner_email", &violations)
    UserRules.checkUsername(request.ownerUsername, field: "owner_username", &violations)
    if let problem = PasswordHasher.policyViolation(request.ownerPassword) {
      violations.check(false, "owner_password", problem)
    }
    violations.check(
      request.ownerDisplayName.count <= 200,
      "owner_display_name",
      "must be at most 200 characters"
    )
    try violations.throwIfAny()

    let password = request.ownerPassword
    let hash = try await blocking.run { [hasher] in try hasher.hash(password) }
    let now = Int64(Clock.nowMilliseconds())
    let tenant = Tenant(
      id: .generate(),
      slug: request.slug,
      name: request.name,
      status: .active,
      plan: Plan(request.plan) ?? .free,
      limitOverrides: PlanLimits(),
      settingsJSON: request.settingsJson.isEmpty ? "{}" : request.settingsJson,
      customDomain: request.customDomain.isEmpty ? nil : request.customDomain.lowercased(),
      createdAt: now,
      updatedAt: now,
      deletedAt: nil,
      revision: 1
    )
    let owner = User(
      tenantID: tenant.id,
      id: .generate(),
      email: request.ownerEmail,
      username: request.ownerUsername,
      displayName: request.ownerDisplayName,
      role: .owner,
      status: .active,
      createdAt: now,
      updatedAt: now
    )
    let audit = context.auditContext
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    try await store.write { tx in
      try tx.tenants.create(tenant)
      let scoped = tx.scoped(TenantScope(tenant.id))
      try scoped.users.create(owner, passwordHash: hash, limits: limits)
      var changes = AuditChanges()
      changes.set("slug", new: tenant.slug)
      changes.set("name", new: tenant.name)
      changes.set("plan", new: tenant.plan.rawValue)
      try scoped.audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "tenant.created",
          resourceType: "tenant",
          resourceID: tenant.id.rawValue,
          changesJSON: changes.json
        )
      )
      try scoped.audit.append(UserRules.createdEntry(owner, by: audit))
    }
    context.logger.info("tenant created", metadata: ["tenant": "\(tenant.slug)"])
    var response = Thaiyyal_V1_CreateTenantResponse()
    response.tenant = tenant.proto(plans: plans)
    response.owner = owner.proto
    return response
  }

  func getTenant(
    request: Thaiyyal_V1_GetTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await visibleTenant(request.tenant, context).proto(plans: plans)
  }

  func listTenants(
    request: Thaiyyal_V1_ListTenantsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListTenantsResponse {
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    let statuses: [Tenant.Status] =
      request.status == .unspecified ? [.active, .suspended] : [try Self.status(request.status)]
    let plan: Plan? = request.plan == .unspecified ? nil : try Self.plan(request.plan)
    let result = try await store.read { tx in
      try tx.tenants.list(statuses: statuses, plan: plan, page: page)
    }
    var response = Thaiyyal_V1_ListTenantsResponse()
    response.tenants = result.items.map { $0.proto(plans: plans) }
    response.nextPageToken = PageToken.encode(result.nextCursor)
    return response
  }

  func updateTenant(
    request: Thaiyyal_V1_UpdateTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    let key = request.tenant.id.isEmpty ? request.tenant.slug : request.tenant.id
    let current = try await visibleTenant(key, context)
    let paths = Set(request.updateMask.paths)
    guard !paths.isEmpty else { throw RPCError(.invalidArgument, "update_mask names no field") }
    let allowed: Set<String> = [
      "name", "settings_json", "custom_domain", "plan", "limit_overrides",
    ]
    var violations = Violations()
    for path in paths.subtracting(allowed).sorted() {
      violations.check(false, "update_mask", "\(path) cannot be updated")
    }
    if !paths.isDisjoint(with: ["plan", "limit_overrides"]), context.principal?.isOperator != true {
      throw RPCError(.permissionDenied, "only the platform operator may change the plan or limits")
    }
    var updated = current
    if paths.contains("name") {
      Self.checkName(request.tenant.name, &violations)
      updated.name = request.tenant.name
    }
    if paths.contains("settings_json") {
      Self.checkSettings(request.tenant.settingsJson, &violations)
      updated.settingsJSON =
        request.tenant.settingsJson.isEmpty ? "{}" : request.tenant.settingsJson
    }
    if paths.contains("custom_domain") {
      Self.checkCustomDomain(request.tenant.customDomain, &violations)
      updated.customDomain =
        request.tenant.customDomain.isEmpty ? nil : request.tenant.customDomain.lowercased()
    }
    if paths.contains("plan") {
      if let plan = Plan(request.tenant.plan) {
        updated.plan = plan
      } else {
        violations.check(false, "tenant.plan", "unknown plan")
      }
    }
    if paths.contains("limit_overrides") {
      updated.limitOverrides = PlanLimits(request.tenant.limitOverrides)
      for field in PlanLimits.fields {
        if let value = updated.limitOverrides[keyPath: field] {
          violations.check(
            value >= -1,
            "tenant.limit_overrides",
            "limits must be -1 (unlimited) or more"
          )
        }
      }
    }
    try violations.throwIfAny()
    if !request.etag.isEmpty && request.etag != current.etag {
      throw DomainError.conflict(resource: "tenant")
    }
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
    guard !changes.isEmpty else { return current.proto(plans: plans) }
    updated.updatedAt = Int64(Clock.nowMilliseconds())
    let saved = try await save(
      updated,
      revision: current.revision,
      action: "tenant.updated",
      changes: changes,
      context
    )
    return saved.proto(plans: plans)
  }

  func suspendTenant(
    request: Thaiyyal_V1_SuspendTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await transition(request.tenant, to: .suspended, reason: request.reason, context).proto(
      plans: plans
    )
  }

  func resumeTenant(
    request: Thaiyyal_V1_ResumeTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await transition(request.tenant, to: .active, reason: "", context).proto(plans: plans)
  }

  func deleteTenant(
    request: Thaiyyal_V1_DeleteTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await transition(request.tenant, to: .deleted, reason: "", context).proto(plans: plans)
  }

  func purgeTenant(
    request: Thaiyyal_V1_PurgeTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_PurgeTenantResponse {
    let tenant = try await visibleTenant(request.tenant, context)
    let audit = context.auditContext
    let counts = try await store.write { tx in
      // Re-read inside the transaction: the decision and the purge must see the same state.
      guard let current = try tx.tenants.find(id: tenant.id) else {
        throw DomainError.notFound(resource: "tenant", id: request.tenant)
      }
      return try tx.tenants.purge(current, audit: audit, at: Int64(Clock.nowMilliseconds()))
    }
    tenants.invalidate()
    context.logger.notice(
      "tenant purged",
      metadata: ["tenant": "\(tenant.slug)", "tenant-id": "\(tenant.id)"]
    )
    var response = Thaiyyal_V1_PurgeTenantResponse()
    response.tenantID = tenant.id.rawValue
    response.slug = tenant.slug
    response.deletedRows = counts
    return response
  }

  func getUsage(
    request: Thaiyyal_V1_GetUsageRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_TenantUsage {
    let tenant: Tenant
    if request.tenant.isEmpty {
      tenant = try context.requireTenant().tenant
    } else {
      tenant = try await visibleTenant(request.tenant, context)
    }
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    let now = Int64(Clock.nowMilliseconds())
    let usage = try await store.read { tx in
      let scoped = tx.scoped(TenantScope(tenant.id))
      return try Quota.allCases.map { quota in
        let (used, resetsAt) = try scoped.usage.used(quota, now: now)
        return (quota, used, resetsAt)
      }
    }
    var response = Thaiyyal_V1_TenantUsage()
    response.tenantID = tenant.id.rawValue
    response.plan = tenant.plan.proto
    response.quotas = usage.map { quota, used, resetsAt in
      var entry = Thaiyyal_V1_QuotaUsage()
      entry.name = quota.rawValue
      entry.limit = quota.limit(in: limits)
      entry.used = used
      if let resetsAt { entry.resetTime = Google_Protobuf_Timestamp(milliseconds: resetsAt) }
      return entry
    }
    return response
  }

  // MARK: Helpers

  /// The tenant named by `key` (id or slug) as the caller may see it: the operator sees every
  /// tenant; a user sees only its own, and never a deleted one. Anything else is NOT_FOUND.
  private func visibleTenant(_ key: String, _ context: ServerContext) async throws -> Tenant {
    guard !key.isEmpty else { throw RPCError(.invalidArgument, "tenant: give a tenant id or slug") }
    guard key.utf8.count <= 64 else {
      throw DomainError.notFound(resource: "tenant", id: String(key.prefix(64)))
    }
    let tenant = try await tenants.tenant(key)
    guard let tenant else { throw DomainError.notFound(resource: "tenant", id: key) }
    switch context.principal {
    case .operator:
      return tenant
    case .user(_, let tenantID, _) where tenantID == tenant.id && tenant.status != .deleted:
      return tenant
    default:
      throw DomainError.notFound(resource: "tenant", id: key)
    }
  }

  private func transition(
    _ key: String,
    to status: Tenant.Status,
    reason: String,
    _ context: ServerContext
  ) async throws -> Tenant {
    guard reason.count <= 1000 else {
      throw RPCError(.invalidArgument, "reason: must be at most 1000 characters")
    }
    let current = try await visibleTenant(key, context)
    if current.status == status { return current }
    if current.status == .deleted {
      throw DomainError.failedPrecondition(
        reason: "TENANT_DELETED",
        detail: "tenant \(current.slug) is deleted; it can only be purged"
      )
    }
    var updated = current
    updated.status = status
    updated.updatedAt = Int64(Clock.nowMilliseconds())
    updated.deletedAt = status == .deleted ? updated.updatedAt : nil
    var changes = AuditChanges()
    changes.compare("status", current.status.rawValue, status.rawValue)
    if !reason.isEmpty { changes.set("reason", new: reason) }
    let action =
      switch status {
      case .active: "tenant.resumed"
      case .suspended: "tenant.suspended"
      case .deleted: "tenant.deleted"
      }
    return try await save(
      updated,
      revision: current.revision,
      action: action,
      changes: changes,
      context
    )
  }

  private func save(
    _ tenant: Tenant,
    revision: Int64,
    action: String,
    changes: AuditChanges,
    _ context: ServerContext
  ) async throws -> Tenant {
    let audit = context.auditContext
    let changesJSON = changes.json
    defer { tenants.invalidate() }
    return try await store.write { tx in
      let saved = try tx.tenants.update(tenant, expectedRevision: revision)
      try tx.scoped(TenantScope(tenant.id)).audit.append(
        audit.entry(
          tenant: tenant.id,
          action: action,
          resourceType: "tenant",
          resourceID: tenant.id.rawValue,
          changesJSON: changesJSON
        )
      )
      return saved
    }
  }

  static func checkName(_ name: String, _ violations: inout Violations) {
    violations.check(
      !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && name.count <= 200,
      "name",
      "must be 1 to 200 characters"
    )
  }

  static func checkSettings(_ json: String, _ violations: inout Violations) {
    guard !json.isEmpty else { return }
    guard json.utf8.count <= 64 * 1024 else {
      violations.check(false, "settings_json", "must be at most 64 KiB")
      return
    }
    let object = try? JSONSerialization.jsonObject(with: Data(json.utf8))
    violations.check(object is [String: Any], "settings_json", "must be a JSON object")
  }

  static func checkCustomDomain(_ domain: String, _ violations: inout Violations) {
    guard !domain.isEmpty else { return }
    let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.".utf8)
    violations.check(
      domain.utf8.count <= 253 && domain.lowercased().utf8.allSatisfy(allowed.contains)
        && domain.contains(".")
        && !domain.hasPrefix(".") && !domain.hasSuffix("."),
      "custom_domain",
      "must be a host name such as workflows.example.com"
    )
  }

  static func status(_ proto: Thaiyyal_V1_Tenant.Status) throws(RPCError) -> Tenant.Status {
    guard let status = Tenant.Status(proto) else {
      throw RPCError(.invalidArgument, "status: unknown value")
    }
    return status
  }

  static func plan(_ proto: Thaiyyal_V1_Plan) throws(RPCError) -> Plan {
    guard let plan = Plan(proto) else { throw RPCError(.invalidArgument, "plan: unknown value") }
    return plan
  }

  static func json(_ limits: PlanLimits) -> String {
    (try? String(decoding: JSONEncoder().encode(limits), as: UTF8.self)) ?? "{}"
  }
}
