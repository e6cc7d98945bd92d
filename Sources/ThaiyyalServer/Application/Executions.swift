import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// Runs of a tenant's workflows and the rules that guard them.
///
/// An accepted execution holds a place in the tenant's queue before anything is written (a full
/// queue refuses the call), then is stored pending with the day's quota taken, counted on its
/// workflow and audited in one transaction, and only then queued on the shared
/// ``ExecutionScheduler``. Executions of workflows the caller may not see do not exist for the
/// caller (NOT_FOUND). A cancellation and its audit entry share one transaction; a run that
/// finished first is not reported, nor audited, as cancelled.
struct Executions: Sendable {
  let store: any Persistence
  let scheduler: ExecutionScheduler

  /// A run to accept, its fields checked and its input parsed.
  struct RunRequest: Sendable {
    var workflowID: WorkflowID
    /// 0 for the latest.
    var version: Int64
    var inputJSON: String
    var input: JSONValue?
    var trigger: ExecutionRecord.Trigger
  }

  /// Inputs up to this size are handed to the run parsed; larger ones are parsed again when the
  /// run starts. A parsed value takes several times its text, and a tenant may queue
  /// `max_queued_executions` runs, so this stays small: at most about 4 MiB per 100 queued runs.
  static let maxInputHeldParsed = 4 << 10

  func accept(_ request: RunRequest, in call: TenantCall) async throws -> ExecutionRecord {
    let maxQueued = ExecutionMaintenance.count(call.limits.maxQueuedExecutions, default: 100)
    switch await scheduler.reserve(call.tenant.id, maxQueued: maxQueued) {
    case .reserved:
      break
    case .queueFull:
      throw RPCError.retryLater(
        "the tenant's execution queue is full (\(maxQueued) waiting); retry later",
        reason: "QUEUE_FULL",
        metadata: ["limit": String(maxQueued)],
        after: .seconds(1)
      )
    case .stopping:
      throw RPCError(.unavailable, "the server is shutting down; retry on another or later")
    }
    let execution: ExecutionRecord
    do {
      execution = try await store.write { tx in
        let scoped = try tx.scoped(call.scope)
        let workflow = try Workflows.visible(request.workflowID, call.viewer, scoped.workflows)
        let version = try Workflows.version(
          of: workflow,
          request.version == 0 ? nil : request.version,
          scoped.workflows
        )
        let execution = ExecutionRecord(
          tenantID: call.tenant.id,
          id: .generate(),
          workflowID: workflow.id,
          workflowVersion: version.version,
          trigger: request.trigger,
          input: request.inputJSON.isEmpty ? nil : request.inputJSON,
          createdBy: call.actorID,
          createdAt: call.now
        )
        try scoped.executions.create(execution, limits: call.limits, now: call.now)
        var changes = AuditChanges()
        changes.set("workflow_id", new: workflow.id.rawValue)
        changes.set("version", new: version.version)
        try scoped.audit.append(
          call.entry(.executionCreated, resourceID: execution.id.rawValue, changes: changes)
        )
        return execution
      }
    } catch {
      await scheduler.release(call.tenant.id)
      throw error
    }
    let input = request.inputJSON.utf8.count <= Self.maxInputHeldParsed ? request.input : nil
    await scheduler.enqueue(
      ExecutionMaintenance.job(execution.id, scope: call.scope, limits: call.limits, input: input)
    )
    return execution
  }

  /// Waits for an accepted execution to finish, then reads it. Where servers share the database,
  /// another server may have taken the execution over from this server's queue: then its outcome
  /// is read from the database until it is there (or the call's deadline passes).
  func finished(_ id: ExecutionID, in call: TenantCall) async throws -> ExecutionRecord {
    await scheduler.waitUntilFinished(id)
    var pause = Duration.milliseconds(20)
    while true {
      try Task.checkCancellation()
      let record = try await execution(id, in: call)
      guard !record.status.isFinished, store.leases != nil, await !scheduler.isStopping else {
        return record
      }
      try await Task.sleep(for: pause)
      pause = min(pause * 2, .milliseconds(500))
    }
  }

  /// An execution whose workflow the caller may see; NOT_FOUND otherwise.
  func execution(_ id: ExecutionID, in call: TenantCall) async throws -> ExecutionRecord {
    try await store.read { tx in try Self.visible(id, call.viewer, tx.scoped(call.scope)) }
  }

  func list(
    _ filter: ExecutionFilter,
    page: PageRequest,
    in call: TenantCall
  ) async throws -> Page<ExecutionRecord> {
    var filter = filter
    filter.viewer = call.viewer
    return try await store.read { [filter] tx in
      try tx.scoped(call.scope).executions.list(filter, page: page)
    }
  }

  func cancel(_ id: ExecutionID, in call: TenantCall) async throws -> ExecutionRecord {
    let current = try await execution(id, in: call)
    guard !current.status.isFinished else { throw Self.finished(current) }
    switch await scheduler.cancel(id, by: call.audit) {
    case .running:
      // The run stops inside its current node and records the cancellation with its audit entry
      // (as this caller); wait for that, briefly.
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await scheduler.waitUntilFinished(id) }
        group.addTask { try await Task.sleep(for: .seconds(5)) }
        _ = try await group.next()
        group.cancelAll()
      }
      let ended = try await execution(id, in: call)
      // It finished by itself before the cancellation reached it.
      if ended.status.isFinished && ended.status != .cancelled { throw Self.finished(ended) }
      return ended
    case .queued, .unknown:
      return try await store.write { tx in
        let scoped = try tx.scoped(call.scope)
        let cancelled = try scoped.executions.finish(
          id: id,
          ExecutionOutcome(
            status: .cancelled,
            result: nil,
            error: "cancelled",
            nodesExecuted: 0,
            nodeRuns: nil,
            finishedAt: call.now
          )
        )
        guard let execution = try scoped.executions.find(id: id) else {
          throw DomainError.notFound(resource: "execution", id: id.rawValue)
        }
        guard cancelled else { throw Self.finished(execution) }
        try scoped.audit.append(call.entry(.executionCancelled, resourceID: id.rawValue))
        return execution
      }
    }
  }

  // MARK: Rules

  /// CancelExecution of a run that already finished.
  static func finished(_ execution: ExecutionRecord) -> DomainError {
    .failedPrecondition(
      reason: "EXECUTION_FINISHED",
      detail: "execution \(execution.id.rawValue) already finished (\(execution.status.rawValue))"
    )
  }

  /// An execution whose workflow the viewer may see; NOT_FOUND otherwise.
  static func visible(
    _ id: ExecutionID,
    _ viewer: WorkflowViewer,
    _ scoped: any ScopedRepositories
  ) throws -> ExecutionRecord {
    guard let execution = try scoped.executions.find(id: id),
      try scoped.workflows.find(id: execution.workflowID)?.isVisible(to: viewer) ?? false
    else {
      throw DomainError.notFound(resource: "execution", id: id.rawValue)
    }
    return execution
  }
}
