import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.ExecutionService`: runs of the caller's tenant's workflows.
///
/// An accepted execution is stored (pending, with the day's quota taken) before the call returns,
/// then runs on the shared ``ExecutionScheduler``. Executions of workflows the caller may not see
/// do not exist for the caller (NOT_FOUND).
struct ExecutionService: Thaiyyal_V1_ExecutionService.ServiceProtocol {
  let store: SQLiteStore
  let plans: PlanCatalog
  let clock: WallClock
  let scheduler: ExecutionScheduler

  /// The largest input a run may be given.
  static let maxInputBytes = 1 << 20

  func executeWorkflow(
    request: Thaiyyal_V1_ExecuteWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let (_, scope) = try context.requireTenant()
    let accepted = try await accept(
      workflowID: request.workflowID,
      version: request.version,
      inputJSON: request.inputJson,
      trigger: request.trigger,
      context
    )
    await scheduler.waitUntilFinished(accepted.id)
    try Task.checkCancellation()
    return try await execution(accepted.id, scope).proto
  }

  func startExecution(
    request: Thaiyyal_V1_StartExecutionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    try await accept(
      workflowID: request.workflowID,
      version: request.version,
      inputJSON: request.inputJson,
      trigger: request.trigger,
      context
    ).proto
  }

  func getExecution(
    request: Thaiyyal_V1_GetExecutionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let (_, scope) = try context.requireTenant()
    let id = try Self.executionID(request.id)
    let viewer = WorkflowRules.viewer(context)
    return try await store.read { tx in
      try Self.visibleExecution(id, viewer, tx.scoped(scope))
    }.proto
  }

  func listExecutions(
    request: Thaiyyal_V1_ListExecutionsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListExecutionsResponse {
    let (_, scope) = try context.requireTenant()
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    var filter = ExecutionRepository.Filter()
    var violations = Violations()
    if !request.workflowID.isEmpty {
      violations.check(UUIDv7.isValid(request.workflowID), "workflow_id", "not a workflow id")
      filter.workflowID = WorkflowID(request.workflowID)
    }
    if request.status != .unspecified {
      filter.status = ExecutionRecord.Status(request.status)
      violations.check(filter.status != nil, "status", "unknown value")
    }
    if request.trigger != .unspecified {
      filter.trigger = ExecutionRecord.Trigger(request.trigger)
      violations.check(filter.trigger != nil, "trigger", "unknown value")
    }
    violations.check(request.createdBy.utf8.count <= 64, "created_by", "too long")
    try violations.throwIfAny()
    filter.createdBy = request.createdBy.isEmpty ? nil : request.createdBy
    filter.from = request.hasStartTime ? request.startTime.milliseconds : nil
    filter.until = request.hasEndTime ? request.endTime.milliseconds : nil
    filter.withPayloads = request.includeResults
    filter.viewer = WorkflowRules.viewer(context)
    let query = filter
    let result = try await store.read { tx in
      try tx.scoped(scope).executions.list(query, page: page)
    }
    // With results, a page also ends before the response would pass `maxListResponseBytes`
    // (each execution alone fits: see ExecutionResultLimits), so no page is too large to send.
    var items = result.items[...]
    var nextCursor = result.nextCursor
    if request.includeResults {
      var bytes = 0
      for (index, item) in result.items.enumerated() {
        bytes +=
          512 + (item.input?.utf8.count ?? 0) + (item.result?.utf8.count ?? 0)
          + (item.nodeRuns?.utf8.count ?? 0)
        if index > 0 && bytes > Self.maxListResponseBytes {
          items = result.items[..<index]
          nextCursor = result.items[index - 1].id.rawValue
          break
        }
      }
    }
    var response = Thaiyyal_V1_ListExecutionsResponse()
    response.executions = items.map(\.proto)
    response.nextPageToken = PageToken.encode(nextCursor)
    return response
  }

  /// The most a page of executions with results carries, under the 4 MiB message limit.
  static let maxListResponseBytes = 3 << 20

  func cancelExecution(
    request: Thaiyyal_V1_CancelExecutionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let (tenant, scope) = try context.requireTenant()
    let id = try Self.executionID(request.id)
    let viewer = WorkflowRules.viewer(context)
    let current = try await store.read { tx in
      try Self.visibleExecution(id, viewer, tx.scoped(scope))
    }
    guard !current.status.isFinished else { throw Self.finished(current) }
    let audit = context.auditContext
    let now = clock.nowMilliseconds()
    switch await scheduler.cancel(id, by: audit) {
    case .running:
      // The run stops inside its current node and records the cancellation with its audit entry
      // (as this caller); wait for that, briefly.
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await scheduler.waitUntilFinished(id) }
        group.addTask { try await Task.sleep(for: .seconds(5)) }
        _ = try await group.next()
        group.cancelAll()
      }
      let ended = try await store.read { tx in try tx.scoped(scope).executions.find(id: id) }
      guard let ended else { throw DomainError.notFound(resource: "execution", id: id.rawValue) }
      // It finished by itself before the cancellation reached it.
      if ended.status.isFinished && ended.status != .cancelled { throw Self.finished(ended) }
      return ended.proto
    case .queued, .unknown:
      // The outcome and its audit entry in one transaction; a run that finished in the meantime
      // is not reported, nor audited, as cancelled.
      return try await store.write { tx in
        let scoped = tx.scoped(scope)
        let cancelled = try scoped.executions.finish(
          id: id,
          ExecutionOutcome(
            status: .cancelled,
            result: nil,
            error: "cancelled",
            nodesExecuted: 0,
            nodeRuns: nil,
            finishedAt: now
          )
        )
        guard let execution = try scoped.executions.find(id: id) else {
          throw DomainError.notFound(resource: "execution", id: id.rawValue)
        }
        guard cancelled else { throw Self.finished(execution) }
        try scoped.audit.append(
          audit.entry(
            tenant: tenant.id,
            action: "execution.cancelled",
            resourceType: "execution",
            resourceID: id.rawValue
          )
        )
        return execution
      }.proto
    }
  }

  /// CancelExecution of a run that already finished.
  static func finished(_ execution: ExecutionRecord) -> DomainError {
    .failedPrecondition(
      reason: "EXECUTION_FINISHED",
      detail: "execution \(execution.id.rawValue) already finished (\(execution.status.rawValue))"
    )
  }

  // MARK: Accepting

  /// Checks the request, holds a queue place, stores the pending execution (taking the day's
  /// quota, counting it on its workflow and auditing it, in one transaction) and queues it.
  private func accept(
    workflowID rawWorkflowID: String,
    version: Int64,
    inputJSON: String,
    trigger protoTrigger: Thaiyyal_V1_Trigger,
    _ context: ServerContext
  ) async throws -> ExecutionRecord {
    let (tenant, scope) = try context.requireTenant()
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    let workflowID = try WorkflowRules.workflowID(rawWorkflowID)
    var violations = Violations()
    violations.check(version >= 0, "version", "must not be negative")
    violations.check(
      inputJSON.utf8.count <= Self.maxInputBytes,
      "input_json",
      "larger than \(Self.maxInputBytes) bytes"
    )
    let trigger = protoTrigger == .unspecified ? .api : ExecutionRecord.Trigger(protoTrigger)
    violations.check(trigger != nil, "trigger", "unknown value")
    try violations.throwIfAny()
    if !inputJSON.isEmpty {
      do {
        _ = try JSONParser().parse(inputJSON)
      } catch {
        throw RPCError(
          .invalidArgument,
          "input_json is not valid JSON: \(error)",
          details: [.badRequest([("input_json", "\(error)")])]
        )
      }
    }

    let maxQueued = ExecutionMaintenance.count(limits.maxQueuedExecutions, default: 100)
    switch await scheduler.reserve(tenant.id, maxQueued: maxQueued) {
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
    let viewer = WorkflowRules.viewer(context)
    let actor = try context.requirePrincipal().actorID
    let audit = context.auditContext
    let now = clock.nowMilliseconds()
    let id = ExecutionID.generate()
    let execution: ExecutionRecord
    do {
      execution = try await store.write { tx in
        let scoped = tx.scoped(scope)
        let workflow = try WorkflowService.visibleWorkflow(workflowID, viewer, scoped.workflows)
        let number = version == 0 ? workflow.latestVersion : version
        guard try scoped.workflows.version(workflowID, number) != nil else {
          throw DomainError.notFound(
            resource: "workflow version",
            id: "\(workflowID.rawValue)@\(number)"
          )
        }
        let execution = ExecutionRecord(
          tenantID: tenant.id,
          id: id,
          workflowID: workflowID,
          workflowVersion: number,
          trigger: trigger!,
          input: inputJSON.isEmpty ? nil : inputJSON,
          createdBy: actor,
          createdAt: now
        )
        try scoped.executions.create(execution, limits: limits, now: now)
        var changes = AuditChanges()
        changes.set("workflow_id", new: workflowID.rawValue)
        changes.set("version", new: number)
        try scoped.audit.append(
          audit.entry(
            tenant: tenant.id,
            action: "execution.created",
            resourceType: "execution",
            resourceID: id.rawValue,
            changesJSON: changes.json
          )
        )
        return execution
      }
    } catch {
      await scheduler.release(tenant.id)
      throw error
    }
    await scheduler.enqueue(ExecutionMaintenance.job(id, tenant: tenant.id, limits: limits))
    return execution
  }

  // MARK: Helpers

  static func executionID(_ text: String) throws(DomainError) -> ExecutionID {
    guard UUIDv7.isValid(text) else {
      throw DomainError.notFound(resource: "execution", id: String(text.prefix(64)))
    }
    return ExecutionID(text)
  }

  /// An execution whose workflow the viewer may see; NOT_FOUND otherwise.
  static func visibleExecution(
    _ id: ExecutionID,
    _ viewer: WorkflowViewer,
    _ scoped: ScopedRepositories
  ) throws -> ExecutionRecord {
    guard let execution = try scoped.executions.find(id: id),
      try scoped.workflows.find(id: execution.workflowID)?.isVisible(to: viewer) ?? false
    else {
      throw DomainError.notFound(resource: "execution", id: id.rawValue)
    }
    return execution
  }

  private func execution(_ id: ExecutionID, _ scope: TenantScope) async throws -> ExecutionRecord {
    guard
      let execution = try await store.read({ tx in try tx.scoped(scope).executions.find(id: id) })
    else { throw DomainError.notFound(resource: "execution", id: id.rawValue) }
    return execution
  }
}
