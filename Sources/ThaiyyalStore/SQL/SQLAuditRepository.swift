import ThaiyyalCore

/// The append-only audit log of one tenant.
struct SQLAuditRepository: AuditRepository {
  let db: any SQLConnection
  let tenantID: TenantID

  /// Appends an entry in the caller's transaction.
  func append(_ entry: AuditEntry) throws {
    precondition(entry.tenantID == tenantID, "an audit entry belongs to its own tenant's log")
    try db.run(
      """
      INSERT INTO audit_logs (tenant_id, id, occurred_at, actor_type, actor_id, action, resource_type,
        resource_id, outcome, reason, peer, request_id, changes)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        tenantID.rawValue, entry.id, entry.occurredAt, entry.actorType.rawValue, entry.actorID,
        entry.action, entry.resourceType, entry.resourceID, entry.outcome.rawValue, entry.reason,
        entry.peer, entry.requestID, entry.changesJSON,
      ]
    )
  }

  /// Entries newest first (ids are time-ordered), a page at a time.
  func list(_ filter: AuditFilter, page: PageRequest) throws -> Page<AuditEntry> {
    var conditions = Conditions(tenantID: tenantID)
    if let action = filter.action {
      if action.hasSuffix(".") {
        conditions.add("action >= ? AND action < ?", [action, action.dropLast() + "/"])
      } else {
        conditions.equal("action", action)
      }
    }
    conditions.equal("resource_type", filter.resourceType)
    conditions.equal("resource_id", filter.resourceID)
    conditions.equal("actor_id", filter.actorID)
    conditions.equal("outcome", filter.outcome?.rawValue)
    if let from = filter.from { conditions.add("occurred_at >= ?", [from]) }
    if let until = filter.until { conditions.add("occurred_at < ?", [until]) }
    if let after = page.after { conditions.add("id < ?", [after]) }
    let rows = try db.fetchRows(
      """
      SELECT tenant_id, id, occurred_at, actor_type, actor_id, action, resource_type, resource_id,
        outcome, reason, peer, request_id, changes
      FROM audit_logs WHERE \(conditions.sql)
      ORDER BY id DESC LIMIT ?
      """,
      conditions.arguments + [page.size + 1]
    )
    let entries = rows.prefix(page.size).map(Self.entry)
    return Page(items: entries, nextCursor: rows.count > page.size ? entries.last?.id : nil)
  }

  /// One entry by id.
  func find(id: String) throws -> AuditEntry? {
    try db.fetchRow(
      """
      SELECT tenant_id, id, occurred_at, actor_type, actor_id, action, resource_type, resource_id,
        outcome, reason, peer, request_id, changes
      FROM audit_logs WHERE tenant_id = ? AND id = ?
      """,
      [tenantID.rawValue, id]
    ).map(Self.entry)
  }

  static func entry(_ row: SQLRow) -> AuditEntry {
    AuditEntry(
      tenantID: TenantID(row["tenant_id"] as String),
      id: row["id"],
      occurredAt: row["occurred_at"],
      actorType: AuditEntry.ActorType(rawValue: row["actor_type"]) ?? .system,
      actorID: row["actor_id"],
      action: row["action"],
      resourceType: row["resource_type"],
      resourceID: row["resource_id"],
      outcome: AuditEntry.Outcome(rawValue: row["outcome"]) ?? .success,
      reason: row["reason"],
      peer: row["peer"],
      requestID: row["request_id"],
      changesJSON: row["changes"]
    )
  }
}
