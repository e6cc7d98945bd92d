import ThaiyyalCore

/// The executions of one tenant. Every statement binds the tenant id.
struct SQLExecutionRepository: ExecutionRepository {
  let db: any SQLConnection
  let tenantID: TenantID

  static let summaryColumns = """
    tenant_id, id, workflow_id, workflow_version, status, trigger, error, nodes_executed,
    created_by, created_at, started_at, finished_at
    """
  static let columns = summaryColumns + ", input, result, node_runs"

  /// Inserts an accepted (pending) execution after taking one from the tenant's daily quota and
  /// checking storage, and counts it on its workflow, all in the caller's transaction.
  func create(_ execution: ExecutionRecord, limits: PlanLimits, now: Int64) throws {
    precondition(execution.tenantID == tenantID, "an execution belongs to its own tenant")
    let usage = SQLUsageRepository(db: db, tenantID: tenantID)
    try usage.requireRoom(
      .storageBytes,
      adding: Int64(execution.input?.utf8.count ?? 0),
      limits: limits
    )
    try usage.take(
      .executionsPerDay,
      limit: Quota.executionsPerDay.limit(in: limits),
      now: now
    )
    try db.run(
      """
      INSERT INTO workflow_executions (\(Self.columns))
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        tenantID.rawValue, execution.id.rawValue, execution.workflowID.rawValue,
        execution.workflowVersion, execution.status.rawValue, execution.trigger.rawValue,
        execution.error, execution.nodesExecuted, execution.createdBy, execution.createdAt,
        execution.startedAt, execution.finishedAt, execution.input, execution.result,
        execution.nodeRuns,
      ]
    )
    try SQLWorkflowRepository(db: db, tenantID: tenantID).recordExecution(
      of: execution.workflowID,
      at: execution.createdAt
    )
  }

  /// An execution of this tenant by id, with its input, result and attempts.
  func find(id: ExecutionID) throws -> ExecutionRecord? {
    try db.fetchRow(
      "SELECT \(Self.columns), attempts FROM workflow_executions WHERE tenant_id = ? AND id = ?",
      [tenantID.rawValue, id.rawValue]
    ).map { Self.withAttempts($0, Self.execution($0, withPayloads: true)) }
  }

  /// Executions newest first (ids are time-ordered), a page at a time.
  func list(_ filter: ExecutionFilter, page: PageRequest) throws -> Page<ExecutionRecord> {
    var conditions = Conditions(tenantID: tenantID)
    conditions.equal("workflow_id", filter.workflowID?.rawValue)
    conditions.equal("status", filter.status?.rawValue)
    conditions.equal("trigger", filter.trigger?.rawValue)
    conditions.equal("created_by", filter.createdBy)
    if let from = filter.from { conditions.add("created_at >= ?", [from]) }
    if let until = filter.until { conditions.add("created_at < ?", [until]) }
    if let after = page.after { conditions.add("id < ?", [after]) }
    if case .user(let id, let role) = filter.viewer, role < .admin {
      conditions.add(
        """
        workflow_id NOT IN (SELECT id FROM workflows
          WHERE tenant_id = ? AND visibility = 'private' AND created_by != ?)
        """,
        [tenantID.rawValue, id]
      )
    }
    let columns = filter.withPayloads ? Self.columns : Self.summaryColumns
    let rows = try db.fetchRows(
      """
      SELECT \(columns) FROM workflow_executions WHERE \(conditions.sql) ORDER BY id DESC LIMIT ?
      """,
      conditions.arguments + [page.size + 1]
    )
    let executions = rows.prefix(page.size).map {
      Self.execution($0, withPayloads: filter.withPayloads)
    }
    return Page(
      items: executions,
      nextCursor: rows.count > page.size ? executions.last?.id.rawValue : nil
    )
  }

  /// Marks a pending execution this server holds running unless the tenant already runs
  /// `maxRunning` executions, in one statement. Quota-checking writes of one tenant are serialised
  /// (SQLite's single writer; PostgreSQL's per-tenant lock), so the count and the update cannot
  /// race another server's.
  func markRunning(id: ExecutionID, at time: Int64, maxRunning: Int) throws -> RunStart {
    let held = db.dialect.heldByThisServer
    let changed = try db.run(
      """
      UPDATE workflow_executions SET status = 'running', started_at = ?, attempts = attempts + 1
      WHERE tenant_id = ? AND id = ? AND status = 'pending' AND \(held) AND (
        SELECT count(*) FROM workflow_executions WHERE tenant_id = ? AND status = 'running'
      ) < ?
      """,
      [time, tenantID.rawValue, id.rawValue, tenantID.rawValue, Int64(clamping: maxRunning)]
    )
    if changed == 1 { return .started }
    // Not started: tell a full tenant from an execution that is no longer pending here.
    let pending = try db.fetchInt(
      """
      SELECT count(*) FROM workflow_executions
      WHERE tenant_id = ? AND id = ? AND status = 'pending' AND \(held)
      """,
      [tenantID.rawValue, id.rawValue]
    )
    return pending == 1 ? .tenantAtLimit : .notPending
  }

  /// Records how an unfinished execution ended, with its output, in one statement. Returns false
  /// when it had already finished (a cancellation came first).
  @discardableResult
  func finish(id: ExecutionID, _ outcome: ExecutionOutcome) throws -> Bool {
    let changed = try db.run(
      """
      UPDATE workflow_executions SET status = ?, result = ?, error = ?, nodes_executed = ?,
        node_runs = ?, finished_at = ?
      WHERE tenant_id = ? AND id = ? AND status IN ('pending', 'running')
      """,
      [
        outcome.status.rawValue, outcome.result, outcome.error, outcome.nodesExecuted,
        outcome.nodeRuns, outcome.finishedAt, tenantID.rawValue, id.rawValue,
      ]
    )
    return changed == 1
  }

  /// Executions left pending or running (by a crash, when the server starts), oldest first.
  func unfinished() throws -> [ExecutionRecord] {
    try db.fetchRows(
      """
      SELECT \(Self.summaryColumns), attempts FROM workflow_executions
      WHERE tenant_id = ? AND status IN ('pending', 'running') ORDER BY id
      """,
      [tenantID.rawValue]
    ).map { Self.withAttempts($0, Self.execution($0, withPayloads: false)) }
  }

  /// Puts an execution back in the queue (after a crash, when configured to re-run them). A run
  /// the server itself stopped (a graceful shutdown) gets its attempt back.
  func requeue(id: ExecutionID, returningAttempt: Bool) throws {
    try db.run(
      """
      UPDATE workflow_executions SET status = 'pending', started_at = NULL,
        attempts = \(db.dialect.greatest("attempts - ?", "0"))
      WHERE tenant_id = ? AND id = ? AND status IN ('pending', 'running')
      """,
      [returningAttempt ? 1 : 0, tenantID.rawValue, id.rawValue]
    )
  }

  /// Deletes up to `limit` finished executions created before `cutoff`; returns how many went.
  func prune(createdBefore cutoff: Int64, limit: Int) throws -> Int {
    let changed = try db.run(
      """
      DELETE FROM workflow_executions WHERE tenant_id = ? AND id IN (
        SELECT id FROM workflow_executions
        WHERE tenant_id = ? AND created_at < ? AND status IN ('completed', 'failed', 'cancelled')
        ORDER BY id LIMIT ?)
      """,
      [tenantID.rawValue, tenantID.rawValue, cutoff, limit]
    )
    return changed
  }

  static func withAttempts(_ row: SQLRow, _ execution: ExecutionRecord) -> ExecutionRecord {
    var execution = execution
    execution.attempts = row["attempts"]
    return execution
  }

  static func execution(_ row: SQLRow, withPayloads: Bool) -> ExecutionRecord {
    ExecutionRecord(
      tenantID: TenantID(row["tenant_id"] as String),
      id: ExecutionID(row["id"] as String),
      workflowID: WorkflowID(row["workflow_id"] as String),
      workflowVersion: row["workflow_version"],
      status: ExecutionRecord.Status(rawValue: row["status"]) ?? .failed,
      trigger: ExecutionRecord.Trigger(rawValue: row["trigger"]) ?? .api,
      input: withPayloads ? row["input"] : nil,
      result: withPayloads ? row["result"] : nil,
      error: row["error"],
      nodesExecuted: row["nodes_executed"],
      nodeRuns: withPayloads ? row["node_runs"] : nil,
      createdBy: row["created_by"],
      createdAt: row["created_at"],
      startedAt: row["started_at"],
      finishedAt: row["finished_at"]
    )
  }
}
