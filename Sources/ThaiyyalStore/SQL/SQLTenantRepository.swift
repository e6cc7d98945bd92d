import Foundation
import ThaiyyalCore

/// Tenants: the platform-level table. Only the server's tenant service and the tenancy
/// interceptor use it; tenant-owned data goes through ``ScopedRepositories``.
struct SQLTenantRepository: TenantRepository {
  let db: any SQLConnection

  static let columns = """
    id, slug, name, status, plan, limit_overrides, settings, custom_domain, created_at, updated_at,
    deleted_at, revision
    """

  /// Inserts a new tenant.
  ///
  /// - Throws: ``DomainError/alreadyExists(resource:field:)`` for a taken slug or custom domain.
  func create(_ tenant: Tenant) throws {
    do {
      try db.run(
        """
        INSERT INTO tenants (\(Self.columns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        Self.arguments(tenant)
      )
    } catch let violation as SQLConstraintViolation {
      throw DomainError.alreadyExists(resource: "tenant", field: violation.column)
    }
  }

  /// A tenant by id or slug, in any status.
  func find(_ idOrSlug: String) throws -> Tenant? {
    let column = UUIDv7.isValid(idOrSlug) ? "id" : "slug"
    return try db.fetchRow(
      "SELECT \(Self.columns) FROM tenants WHERE \(column) = ?",
      [idOrSlug]
    ).map(Self.tenant)
  }

  /// Every tenant not yet purged, for platform-wide jobs (start-up recovery, retention) that then
  /// work inside each tenant's scope.
  func all() throws -> [Tenant] {
    try db.fetchRows("SELECT \(Self.columns) FROM tenants ORDER BY id", []).map(Self.tenant)
  }

  /// A tenant by id.
  func find(id: TenantID) throws -> Tenant? {
    try db.fetchRow(
      "SELECT \(Self.columns) FROM tenants WHERE id = ?",
      [id.rawValue]
    )
    .map(Self.tenant)
  }

  /// Tenants newest first (ids are time-ordered), filtered, a page at a time (the cursor is the last id).
  func list(statuses: [Tenant.Status], plan: Plan?, page: PageRequest) throws -> Page<Tenant> {
    var conditions = ["status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))"]
    var arguments = SQLArguments(statuses.map(\.rawValue))
    if let plan {
      conditions.append("plan = ?")
      arguments += [plan.rawValue]
    }
    if let after = page.after {
      conditions.append("id < ?")
      arguments += [after]
    }
    arguments += [page.size + 1]
    let rows = try db.fetchRows(
      """
      SELECT \(Self.columns) FROM tenants WHERE \(conditions.joined(separator: " AND "))
      ORDER BY id DESC LIMIT ?
      """,
      arguments
    )
    let tenants = rows.prefix(page.size).map(Self.tenant)
    return Page(
      items: tenants,
      nextCursor: rows.count > page.size ? tenants.last?.id.rawValue : nil
    )
  }

  /// Saves `tenant` if its revision is still `expectedRevision`, raising the revision.
  ///
  /// - Throws: ``DomainError/conflict(resource:)`` when another change came first.
  @discardableResult
  func update(_ tenant: Tenant, expectedRevision: Int64) throws -> Tenant {
    var saved = tenant
    saved.revision = expectedRevision + 1
    let changed: Int
    do {
      changed = try db.run(
        """
        UPDATE tenants SET slug = ?, name = ?, status = ?, plan = ?, limit_overrides = ?, settings = ?,
          custom_domain = ?, updated_at = ?, deleted_at = ?, revision = ?
        WHERE id = ? AND revision = ?
        """,
        [
          saved.slug, saved.name, saved.status.rawValue, saved.plan.rawValue,
          try Self.encode(saved.limitOverrides), saved.settingsJSON, saved.customDomain,
          saved.updatedAt,
          saved.deletedAt, saved.revision, saved.id.rawValue, expectedRevision,
        ]
      )
    } catch let violation as SQLConstraintViolation {
      throw DomainError.alreadyExists(resource: "tenant", field: violation.column)
    }
    guard changed == 1 else { throw DomainError.conflict(resource: "tenant") }
    return saved
  }

  /// Removes every row of a deleted tenant, in every table, and leaves a tombstone.
  ///
  /// - Returns: Rows removed per table.
  /// - Throws: ``DomainError/failedPrecondition(reason:detail:)`` unless the tenant is deleted.
  func purge(_ tenant: Tenant, audit: AuditContext, at now: Int64) throws -> [String: Int64] {
    guard tenant.status == .deleted else {
      throw DomainError.failedPrecondition(
        reason: "TENANT_NOT_DELETED",
        detail: "tenant \(tenant.slug) must be deleted before it can be purged"
      )
    }
    // The purge acts in the tenant it removes: where the database enforces isolation, it sees
    // that tenant's rows and no other's.
    try db.enter(tenant: tenant.id)
    // Children before parents; tenant_id leads every primary key, so each delete is a range scan.
    let tables = ["workflow_executions", "workflow_versions", "workflows", "users", "quota_usage"]
    var counts: [String: Int64] = [:]
    for table in tables {
      let changed = try db.run(
        "DELETE FROM \(table) WHERE tenant_id = ?",
        [tenant.id.rawValue]
      )
      counts[table] = Int64(changed)
    }
    counts["audit_logs"] = Int64(try db.dialect.purgeAuditLog(db, tenant.id))
    // A storage trigger may have re-created the counter row while children were deleted.
    try db.run(
      "DELETE FROM quota_usage WHERE tenant_id = ?",
      [tenant.id.rawValue]
    )
    let changed = try db.run("DELETE FROM tenants WHERE id = ?", [tenant.id.rawValue])
    counts["tenants"] = Int64(changed)
    let countsJSON = String(decoding: try JSONEncoder.sorted.encode(counts), as: UTF8.self)
    try db.run(
      """
      INSERT INTO tenant_tombstones (tenant_id, slug, name, purged_at, purged_by, peer, request_id, deleted_rows)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        tenant.id.rawValue, tenant.slug, tenant.name, now, audit.actorID, audit.peer,
        audit.requestID,
        countsJSON,
      ]
    )
    return counts
  }

  /// The tombstone of a purged tenant.
  func tombstone(
    id: TenantID
  ) throws -> (slug: String, purgedBy: String, deletedRowsJSON: String)? {
    try db.fetchRow(
      "SELECT slug, purged_by, deleted_rows FROM tenant_tombstones WHERE tenant_id = ?",
      [id.rawValue]
    ).map { ($0["slug"], $0["purged_by"], $0["deleted_rows"]) }
  }

  static func tenant(_ row: SQLRow) -> Tenant {
    Tenant(
      id: TenantID(row["id"] as String),
      slug: row["slug"],
      name: row["name"],
      status: Tenant.Status(rawValue: row["status"]) ?? .suspended,
      plan: Plan(rawValue: row["plan"]) ?? .free,
      limitOverrides: decodeLimits(row["limit_overrides"]),
      settingsJSON: row["settings"],
      customDomain: row["custom_domain"],
      createdAt: row["created_at"],
      updatedAt: row["updated_at"],
      deletedAt: row["deleted_at"],
      revision: row["revision"]
    )
  }

  /// Most tenants have no overrides; skip the decoder for them.
  static func decodeLimits(_ json: String) -> PlanLimits {
    guard json != "{}" else { return PlanLimits() }
    return (try? JSONDecoder().decode(PlanLimits.self, from: Data(json.utf8))) ?? PlanLimits()
  }

  static func arguments(_ tenant: Tenant) throws -> SQLArguments {
    [
      tenant.id.rawValue, tenant.slug, tenant.name, tenant.status.rawValue, tenant.plan.rawValue,
      try encode(tenant.limitOverrides), tenant.settingsJSON, tenant.customDomain, tenant.createdAt,
      tenant.updatedAt, tenant.deletedAt, tenant.revision,
    ]
  }

  static func encode(_ limits: PlanLimits) throws -> String {
    String(decoding: try JSONEncoder.sorted.encode(limits), as: UTF8.self)
  }
}

extension JSONEncoder {
  /// Deterministic output: sorted keys.
  static var sorted: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }
}
