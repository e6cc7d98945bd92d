import Foundation
import ThaiyyalCore

/// The workflows of one tenant and their immutable versions. Every statement binds the tenant id.
struct SQLWorkflowRepository: WorkflowRepository {
  let db: any SQLConnection
  let tenantID: TenantID

  static let columns = """
    tenant_id, id, name, description, tags, category, visibility, published, latest_version,
    created_by, updated_by, created_at, updated_at, execution_count, last_executed_at, revision
    """

  /// Inserts a workflow with its first version, after checking the workflow-count and storage
  /// quotas in the caller's transaction.
  func create(
    _ workflow: WorkflowRecord,
    definition: String,
    changeDescription: String,
    limits: PlanLimits
  ) throws {
    precondition(workflow.tenantID == tenantID, "a workflow is created in its own tenant's scope")
    let usage = SQLUsageRepository(db: db, tenantID: tenantID)
    try usage.requireRoom(.workflows, adding: 1, limits: limits)
    try usage.requireRoom(.storageBytes, adding: Int64(definition.utf8.count), limits: limits)
    try db.run(
      """
      INSERT INTO workflows (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        tenantID.rawValue, workflow.id.rawValue, workflow.name, workflow.description,
        Self.tagsJSON(workflow.tags), workflow.category, workflow.visibility.rawValue,
        workflow.published, workflow.latestVersion, workflow.createdBy, workflow.updatedBy,
        workflow.createdAt, workflow.updatedAt, workflow.executionCount, workflow.lastExecutedAt,
        workflow.revision,
      ]
    )
    try insertVersion(
      WorkflowVersion(
        workflowID: workflow.id,
        version: workflow.latestVersion,
        definition: definition,
        changeDescription: changeDescription,
        createdBy: workflow.createdBy,
        createdAt: workflow.createdAt
      )
    )
  }

  /// A workflow of this tenant by id; `nil` for ids of other tenants.
  func find(id: WorkflowID) throws -> WorkflowRecord? {
    try db.fetchRow(
      "SELECT \(Self.columns) FROM workflows WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    ).map(Self.workflow)
  }

  /// One version of a workflow of this tenant.
  func version(_ workflowID: WorkflowID, _ version: Int64) throws -> WorkflowVersion? {
    try db.fetchRow(
      """
      SELECT workflow_id, version, definition, change_description, created_by, created_at
      FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ? AND version = ?
      """,
      [tenantID.rawValue, workflowID.rawValue, version]
    ).map { Self.version($0, withDefinition: true) }
  }

  /// Versions newest first, a page at a time (the cursor is the last version number).
  func versions(
    _ workflowID: WorkflowID,
    before: Int64?,
    limit: Int,
    withDefinitions: Bool
  ) throws -> [WorkflowVersion] {
    let definition = withDefinitions ? "definition" : "NULL AS definition"
    return try db.fetchRows(
      """
      SELECT workflow_id, version, \(definition), change_description, created_by, created_at
      FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ? AND version < ?
      ORDER BY version DESC LIMIT ?
      """,
      [tenantID.rawValue, workflowID.rawValue, before ?? Int64.max, limit]
    ).map { Self.version($0, withDefinition: withDefinitions) }
  }

  /// Workflows the filter's viewer may see, a page at a time.
  func list(
    _ filter: WorkflowFilter,
    after cursor: WorkflowCursor?,
    limit: Int
  ) throws -> (
    [WorkflowRecord], next: WorkflowCursor?
  ) {
    var conditions = Conditions(tenantID: tenantID)
    if let tag = filter.tag {
      conditions.add(db.dialect.jsonArrayContains("workflows.tags"), [tag])
    }
    conditions.equal("category", filter.category)
    conditions.equal("visibility", filter.visibility?.rawValue)
    conditions.equal("created_by", filter.createdBy)
    conditions.equal("published", filter.published)
    conditions.hasPrefix("name", filter.namePrefix)
    if case .user(let id, let role) = filter.viewer, role < .admin {
      conditions.add("(visibility != 'private' OR created_by = ?)", [id])
    }
    let order: String
    switch filter.order {
    case .updatedDescending:
      order = "updated_at DESC, id DESC"
      if let cursor {
        let time = Int64(cursor.key) ?? 0
        conditions.add(
          "(updated_at < ? OR (updated_at = ? AND id < ?))",
          [time, time, cursor.id.rawValue]
        )
      }
    case .nameAscending:
      order = "name, id"
      if let cursor {
        conditions.add(
          "(name > ? OR (name = ? AND id > ?))",
          [cursor.key, cursor.key, cursor.id.rawValue]
        )
      }
    }
    let rows = try db.fetchRows(
      "SELECT \(Self.columns) FROM workflows WHERE \(conditions.sql) ORDER BY \(order) LIMIT ?",
      conditions.arguments + [limit + 1]
    )
    let workflows = rows.prefix(limit).map(Self.workflow)
    guard rows.count > limit, let last = workflows.last else { return (workflows, nil) }
    let key = filter.order == .nameAscending ? last.name : String(last.updatedAt)
    return (workflows, WorkflowCursor(key: key, id: last.id))
  }

  /// Saves the descriptive fields of `workflow` if its revision is still `expectedRevision`.
  ///
  /// - Throws: ``DomainError/conflict(resource:)`` when another change came first.
  @discardableResult
  func save(_ workflow: WorkflowRecord, expectedRevision: Int64) throws -> WorkflowRecord {
    precondition(workflow.tenantID == tenantID, "a workflow is saved in its own tenant's scope")
    var saved = workflow
    saved.revision = expectedRevision + 1
    let changed = try db.run(
      """
      UPDATE workflows SET name = ?, description = ?, tags = ?, category = ?, visibility = ?,
        published = ?, latest_version = ?, updated_by = ?, updated_at = ?, revision = ?
      WHERE tenant_id = ? AND id = ? AND revision = ?
      """,
      [
        saved.name, saved.description, Self.tagsJSON(saved.tags), saved.category,
        saved.visibility.rawValue, saved.published, saved.latestVersion, saved.updatedBy,
        saved.updatedAt, saved.revision, tenantID.rawValue, saved.id.rawValue, expectedRevision,
      ]
    )
    guard changed == 1 else { throw DomainError.conflict(resource: "workflow") }
    return saved
  }

  /// Appends an immutable version, after checking the storage quota. The caller raises the
  /// workflow's `latestVersion` with ``save(_:expectedRevision:)`` in the same transaction.
  func addVersion(_ version: WorkflowVersion, limits: PlanLimits) throws {
    let bytes = Int64(version.definition?.utf8.count ?? 0)
    try SQLUsageRepository(db: db, tenantID: tenantID).requireRoom(
      .storageBytes,
      adding: bytes,
      limits: limits
    )
    try insertVersion(version)
  }

  private func insertVersion(_ version: WorkflowVersion) throws {
    try db.run(
      """
      INSERT INTO workflow_versions (tenant_id, workflow_id, version, definition, change_description,
        created_by, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      """,
      [
        tenantID.rawValue, version.workflowID.rawValue, version.version, version.definition ?? "{}",
        version.changeDescription, version.createdBy, version.createdAt,
      ]
    )
  }

  /// Counts an accepted execution: raises `execution_count` and moves `last_executed_at` forward,
  /// in one statement, so concurrent executions never lose a count.
  func recordExecution(of id: WorkflowID, at time: Int64) throws {
    try db.run(
      """
      UPDATE workflows SET execution_count = execution_count + 1,
        last_executed_at = \(db.dialect.greatest("coalesce(last_executed_at, 0)", "?"))
      WHERE tenant_id = ? AND id = ?
      """,
      [time, tenantID.rawValue, id.rawValue]
    )
  }

  /// Removes a workflow with its versions and executions; returns how many executions went.
  @discardableResult
  func delete(id: WorkflowID) throws -> Int64 {
    let changed = try db.run(
      "DELETE FROM workflow_executions WHERE tenant_id = ? AND workflow_id = ?",
      [tenantID.rawValue, id.rawValue]
    )
    let executions = Int64(changed)
    try db.run(
      "DELETE FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ?",
      [tenantID.rawValue, id.rawValue]
    )
    try db.run(
      "DELETE FROM workflows WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    )
    return executions
  }

  static func tagsJSON(_ tags: [String]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: tags)) ?? Data("[]".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func workflow(_ row: SQLRow) -> WorkflowRecord {
    let tagsText: String = row["tags"]
    let tags =
      (try? JSONSerialization.jsonObject(with: Data(tagsText.utf8))) as? [String] ?? []
    return WorkflowRecord(
      tenantID: TenantID(row["tenant_id"] as String),
      id: WorkflowID(row["id"] as String),
      name: row["name"],
      description: row["description"],
      tags: tags,
      category: row["category"],
      visibility: WorkflowRecord.Visibility(rawValue: row["visibility"]) ?? .private,
      published: row["published"],
      latestVersion: row["latest_version"],
      createdBy: row["created_by"],
      updatedBy: row["updated_by"],
      createdAt: row["created_at"],
      updatedAt: row["updated_at"],
      executionCount: row["execution_count"],
      lastExecutedAt: row["last_executed_at"],
      revision: row["revision"]
    )
  }

  static func version(_ row: SQLRow, withDefinition: Bool) -> WorkflowVersion {
    WorkflowVersion(
      workflowID: WorkflowID(row["workflow_id"] as String),
      version: row["version"],
      definition: withDefinition ? row["definition"] : nil,
      changeDescription: row["change_description"],
      createdBy: row["created_by"],
      createdAt: row["created_at"]
    )
  }
}
