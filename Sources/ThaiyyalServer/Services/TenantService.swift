import Foundation
import Logging
import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// `thaiyyal.v1.TenantService`: the lifecycle of tenants. Checks the messages and maps them to
/// ``Tenants``, which owns the rules.
struct TenantService: Thaiyyal_V1_TenantService.ServiceProtocol {
  let tenants: Tenants
  let plans: PlanCatalog
  let clock: WallClock
  /// The organisation's tenant slug, when the server serves one.
  var singleTenant: String?

  func createTenant(
    request: Thaiyyal_V1_CreateTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_CreateTenantResponse {
    if let singleTenant {
      throw DomainError.failedPrecondition(
        reason: "SINGLE_ORGANISATION",
        detail:
          "this server serves one organisation, tenant \(singleTenant) (multi_tenant.enabled: false); it creates no other"
      )
    }
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
    UserFields.checkEmail(request.ownerEmail, field: "owner_email", &violations)
    UserFields.checkUsername(request.ownerUsername, field: "owner_username", &violations)
    if let problem = PasswordHasher.policyViolation(request.ownerPassword) {
      violations.check(false, "owner_password", problem)
    }
    UserFields.checkDisplayName(
      request.ownerDisplayName,
      field: "owner_display_name",
      &violations
    )
    try violations.throwIfAny()
    let new = Tenants.NewTenant(
      slug: request.slug,
      name: request.name,
      plan: Plan(request.plan) ?? .free,
      settingsJSON: request.settingsJson.isEmpty ? "{}" : request.settingsJson,
      customDomain: request.customDomain.isEmpty ? nil : request.customDomain.lowercased(),
      owner: Accounts.NewUser(
        email: request.ownerEmail,
        username: request.ownerUsername,
        displayName: request.ownerDisplayName,
        role: .owner,
        password: request.ownerPassword
      )
    )
    let (tenant, owner) = try await tenants.create(new, audit: audit(context))
    context.logger.info("tenant created", metadata: ["tenant": "\(tenant.slug)"])
    var response = Thaiyyal_V1_CreateTenantResponse()
    response.tenant = tenant.proto(plans: plans)
    response.owner = owner.proto(at: owner.createdAt)
    return response
  }

  func getTenant(
    request: Thaiyyal_V1_GetTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await visible(request.tenant, context).proto(plans: plans)
  }

  func listTenants(
    request: Thaiyyal_V1_ListTenantsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListTenantsResponse {
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    let statuses: [Tenant.Status] =
      request.status == .unspecified ? [.active, .suspended] : [try Self.status(request.status)]
    let plan: Plan? = request.plan == .unspecified ? nil : try Self.plan(request.plan)
    let result = try await tenants.list(statuses: statuses, plan: plan, page: page)
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
    let current = try await visible(key, context)
    let paths = Set(request.updateMask.paths)
    let allowed: Set = ["name", "settings_json", "custom_domain", "plan", "limit_overrides"]
    var violations = Violations()
    violations.check(!paths.isEmpty, "update_mask", "names no field")
    for path in paths.subtracting(allowed).sorted() {
      violations.check(false, "update_mask", "\(path) cannot be updated")
    }
    let given = request.tenant
    var edit = Tenants.Edit(etag: request.etag)
    if paths.contains("name") {
      Self.checkName(given.name, &violations)
      edit.name = given.name
    }
    if paths.contains("settings_json") {
      Self.checkSettings(given.settingsJson, &violations)
      edit.settingsJSON = given.settingsJson.isEmpty ? "{}" : given.settingsJson
    }
    if paths.contains("custom_domain") {
      Self.checkCustomDomain(given.customDomain, &violations)
      edit.customDomain = .some(given.customDomain.isEmpty ? nil : given.customDomain.lowercased())
    }
    if paths.contains("plan") {
      edit.plan = Plan(given.plan)
      violations.check(edit.plan != nil, "tenant.plan", "unknown plan")
    }
    if paths.contains("limit_overrides") {
      let overrides = PlanLimits(given.limitOverrides)
      for field in PlanLimits.fields {
        let value = overrides[keyPath: field] ?? -1
        violations.check(
          value >= -1,
          "tenant.limit_overrides",
          "limits must be -1 (unlimited) or more"
        )
      }
      edit.limitOverrides = overrides
    }
    try violations.throwIfAny()
    return try await tenants.update(current, edit, audit: audit(context)).proto(plans: plans)
  }

  func suspendTenant(
    request: Thaiyyal_V1_SuspendTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    guard request.reason.count <= 1000 else {
      throw RPCError(.invalidArgument, "reason: must be at most 1000 characters")
    }
    return try await transition(request.tenant, .suspended, request.reason, context)
  }

  func resumeTenant(
    request: Thaiyyal_V1_ResumeTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await transition(request.tenant, .active, "", context)
  }

  func deleteTenant(
    request: Thaiyyal_V1_DeleteTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    try await transition(request.tenant, .deleted, "", context)
  }

  func purgeTenant(
    request: Thaiyyal_V1_PurgeTenantRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_PurgeTenantResponse {
    let tenant = try await visible(request.tenant, context)
    let counts = try await tenants.purge(tenant, audit: audit(context))
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
    let tenant =
      request.tenant.isEmpty
      ? try context.requireTenantCall().tenant : try await visible(request.tenant, context)
    let usage = try await tenants.usage(
      of: tenant,
      at: clock.nowMilliseconds(),
      call: context.tenantCall
    )
    var response = Thaiyyal_V1_TenantUsage()
    response.tenantID = tenant.id.rawValue
    response.plan = tenant.plan.proto
    response.quotas = usage.map { quota in
      var entry = Thaiyyal_V1_QuotaUsage()
      entry.name = quota.quota.rawValue
      entry.limit = quota.limit
      entry.used = quota.used
      if let resets = quota.resets {
        entry.resetTime = Google_Protobuf_Timestamp(milliseconds: resets)
      }
      return entry
    }
    return response
  }

  // MARK: Mapping

  private func visible(_ key: String, _ context: ServerContext) async throws -> Tenant {
    guard !key.isEmpty else { throw RPCError(.invalidArgument, "tenant: give a tenant id or slug") }
    return try await tenants.visible(key, to: context.principal)
  }

  private func transition(
    _ key: String,
    _ status: Tenant.Status,
    _ reason: String,
    _ context: ServerContext
  ) async throws -> Thaiyyal_V1_Tenant {
    let current = try await visible(key, context)
    return try await tenants.transition(current, to: status, reason: reason, audit: audit(context))
      .proto(plans: plans)
  }

  /// Who makes this call, from where and now.
  private func audit(_ context: ServerContext) -> AuditContext {
    context.auditContext(at: clock.nowMilliseconds())
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
}
