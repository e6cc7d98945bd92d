import Logging
import Metrics
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalStore

/// Runs one job on a worker: marks it running, runs its workflow version with the plan's limits,
/// and stores the outcome and output in the one transaction that marks it finished.
///
/// A run the server stops while shutting down is not "cancelled": it ends `failed` with error
/// `interrupted`, or goes back to pending for the next start when interrupted runs are re-queued.
struct ExecutionRunner: Sendable {
  let store: any Persistence
  let clock: WallClock
  let logger: Logger
  let requeueOnShutdown: Bool
  let isShuttingDown: @Sendable () async -> Bool
  /// Who cancelled a running execution (``ExecutionScheduler/canceller(of:)``).
  let canceller: @Sendable (ExecutionID) async -> AuditContext?
  /// Decoded definitions of the versions run before.
  let definitions: DefinitionCache

  func run(_ job: ExecutionJob) async -> ExecutionScheduler.JobEnd {
    let scope = job.scope
    let id = job.executionID
    do {
      let (execution, workflow): (ExecutionRecord, Result<Workflow, ValidationFailure>)
      switch try await persistently({ try await start(job) }) {
      case .skip: return .done
      case .deferred: return .deferred
      case .started(let started, let decoded): (execution, workflow) = (started, decoded)
      }
      let input = try job.input ?? execution.input.map { try JSONParser().parse($0) }
      let result: ExecutionResult
      switch workflow {
      case .success(let workflow):
        result = await WorkflowEngine(limits: job.limits).run(workflow, input: input)
      case .failure(let failure):
        result = .invalid(failure)
      }
      if Task.isCancelled, await isShuttingDown() {
        try await interrupted(id, scope)
        return .done
      }
      let outcome = Self.outcome(
        of: result,
        cancelled: Task.isCancelled,
        limits: job.limits,
        maxResultBytes: ExecutionResultLimits.resultBytes(job.planLimits),
        at: clock.nowMilliseconds()
      )
      let cancelledBy = outcome.status == .cancelled ? await canceller(id) : nil
      try await persistently {
        try await record(outcome, id, scope, limits: job.planLimits, cancelledBy: cancelledBy)
      }
    } catch {
      // Cancelled before it could start (the store refuses a cancelled task), or a real fault.
      let cancelled = Task.isCancelled
      if cancelled, await isShuttingDown() {
        try? await interrupted(id, scope)
        return .done
      }
      if !cancelled {
        logger.error(
          "execution failed to run",
          metadata: ["execution": "\(id)", "tenant": "\(job.tenantID)", "error": "\(error)"]
        )
      }
      let outcome = ExecutionOutcome(
        status: cancelled ? .cancelled : .failed,
        result: nil,
        error: cancelled ? "cancelled" : "internal error: the execution could not be run",
        nodesExecuted: 0,
        nodeRuns: nil,
        finishedAt: clock.nowMilliseconds()
      )
      let cancelledBy = cancelled ? await canceller(id) : nil
      try? await persistently {
        try await record(outcome, id, scope, limits: job.planLimits, cancelledBy: cancelledBy)
      }
    }
    return .done
  }

  /// What starting a job found.
  enum Start {
    /// Cancelled, deleted, or finished elsewhere: nothing to run.
    case skip
    /// The tenant is at its limit of running executions; try again later.
    case deferred
    case started(ExecutionRecord, Result<Workflow, ValidationFailure>)
  }

  /// Runs a store step, retrying while the database is unreachable (PostgreSQL restarting, every
  /// connection busy) with growing pauses, for longer than an execution lease. A run is not lost to
  /// a short outage; after a long one its lease has lapsed, and the lease upkeep recovers it (fails
  /// or re-queues it) once the database answers again.
  private func persistently<T>(_ step: () async throws -> T) async throws -> T {
    var pause = Duration.milliseconds(100)
    var waited = Duration.zero
    while true {
      do {
        return try await step()
      } catch let error as StoreUnavailable where waited < Self.outageRetry && !Task.isCancelled {
        logger.warning("the database is unavailable; retrying", metadata: ["error": "\(error)"])
        try await Task.sleep(for: pause)
        waited += pause
        pause = min(pause * 2, .seconds(5))
      }
    }
  }

  /// How long a run's store steps retry an unreachable database: longer than the default lease.
  static let outageRetry = Duration.seconds(30)

  /// Loads the execution and marks it running, in one transaction (a cancelled or deleted
  /// execution is skipped; one whose tenant runs its limit of executions, on any server, is
  /// deferred), and finds its version's decoded definition: from ``definitions`` when a run
  /// decoded it before, else read and decoded now.
  private func start(_ job: ExecutionJob) async throws -> Start {
    let (id, limits, definitions) = (job.executionID, job.limits, self.definitions)
    let now = clock.nowMilliseconds()
    let maxRunning = job.maxConcurrent
    let loaded = try await store.write { tx -> Loaded in
      let scoped = try tx.scoped(job.scope)
      guard let execution = try scoped.executions.find(id: id) else { return .skip }
      let key = DefinitionCache.Key(
        tenantID: job.tenantID,
        workflowID: execution.workflowID,
        version: execution.workflowVersion,
        limits: limits
      )
      let cached = definitions.workflow(for: key)
      var definition: String?
      if cached == nil {
        definition = try scoped.workflows.version(execution.workflowID, execution.workflowVersion)?
          .definition
        guard definition != nil else { return .skip }
      }
      switch try scoped.executions.markRunning(id: id, at: now, maxRunning: maxRunning) {
      case .started: return .marked(execution, key, cached, definition)
      case .notPending: return .skip
      case .tenantAtLimit: return .deferred
      }
    }
    let (execution, key, cached, definition):
      (ExecutionRecord, DefinitionCache.Key, Workflow?, String?)
    switch loaded {
    case .skip: return .skip
    case .deferred: return .deferred
    case .marked(let found, let foundKey, let foundCached, let text):
      (execution, key, cached, definition) = (found, foundKey, foundCached, text)
    }
    if let cached { return .started(execution, .success(cached)) }
    let text = definition ?? ""
    let decoded = Result { () throws(ValidationFailure) in
      try WorkflowDecoder(limits: limits).decode(text)
    }
    if case .success(let workflow) = decoded {
      let bytes = text.utf8.count * DefinitionCache.decodedBytesPerTextByte
      definitions.store(workflow, bytes: bytes, for: key)
    }
    return .started(execution, decoded)
  }

  /// What the start transaction found: the execution marked running, with its cached workflow or
  /// the definition to decode, or why it was not.
  private enum Loaded: Sendable {
    case skip, deferred
    case marked(ExecutionRecord, DefinitionCache.Key, Workflow?, String?)
  }

  /// A run stopped by the server's shutdown: back to pending, or failed as `interrupted`.
  private func interrupted(_ id: ExecutionID, _ scope: TenantScope) async throws {
    let (requeue, now) = (requeueOnShutdown, clock.nowMilliseconds())
    try await store.writeEvenIfCancelled { tx in
      try ExecutionMaintenance.interrupt(
        id,
        in: tx.scoped(scope),
        requeue: requeue,
        graceful: true,
        reason: "the server shut down while the execution was running",
        at: now
      )
    }
  }

  /// Stores how the run ended, even though its task may have been cancelled. A result the
  /// tenant's storage quota has no room for is replaced by a marker that says so: the outcome is
  /// never lost, and the quota is never passed. A cancellation is audited, as who asked for it, in
  /// the same transaction.
  private func record(
    _ outcome: ExecutionOutcome,
    _ id: ExecutionID,
    _ scope: TenantScope,
    limits: PlanLimits,
    cancelledBy: AuditContext?
  )
    async throws
  {
    let recorded = try await store.writeEvenIfCancelled { tx -> Bool in
      let scoped = try tx.scoped(scope)
      var outcome = outcome
      if let result = outcome.result {
        do {
          try scoped.usage.requireRoom(
            .storageBytes,
            adding: Int64(result.utf8.count + (outcome.nodeRuns?.utf8.count ?? 0)),
            limits: limits
          )
        } catch DomainError.quotaExceeded {
          outcome.result = ExecutionResultLimits.storageFullMarker
          outcome.nodeRuns = nil
        }
      }
      guard try scoped.executions.finish(id: id, outcome) else { return false }
      if let cancelledBy {
        try scoped.audit.append(
          cancelledBy.entry(tenant: scoped.tenantID, .executionCancelled, resourceID: id.rawValue)
        )
      }
      return true
    }
    if recorded {
      Counter(label: "thaiyyal_executions_total", dimensions: [("status", outcome.status.rawValue)])
        .increment()
    }
  }

  /// How a run ended, in the record's terms. A run stopped by cancellation is `cancelled`; one
  /// past the plan's time limit fails with a message that says so.
  static func outcome(
    of result: ExecutionResult,
    cancelled: Bool,
    limits: EngineLimits,
    maxResultBytes: Int = ExecutionResultLimits.ceiling,
    at time: Int64
  ) -> ExecutionOutcome {
    let status: ExecutionRecord.Status
    var error = result.errors.first
    switch error {
    case nil:
      status = .completed
    case _ where cancelled:
      status = .cancelled
      error = "cancelled"
    case _ where result.timedOut:
      status = .failed
      error =
        "DEADLINE_EXCEEDED: the run took longer than the plan's limit of \(limits.maxExecutionTime)"
    default:
      status = .failed
    }
    return ExecutionOutcome(
      status: status,
      result: result.jsonText(maxBytes: maxResultBytes),
      error: error.map { $0.count > 4096 ? String($0.prefix(4096)) + "…" : $0 },
      nodesExecuted: Int64(result.nodeRuns.count { $0.status != .skipped }),
      nodeRuns: NodeRunsJSON.encode(ExecutionResultLimits.stored(result.nodeRuns)),
      finishedAt: time
    )
  }
}

extension EngineLimits {
  /// The engine limits of a tenant's plan: node count, run time, value size and memory budget
  /// (-1 means the engine's largest).
  init(plan: PlanLimits) {
    self.init()
    if let nodes = plan.maxNodesPerWorkflow {
      maxNodes = nodes < 0 ? 100_000 : Int(min(nodes, 100_000))
      maxEdges = max(maxEdges, maxNodes * 4)
      maxNodeExecutions = max(maxNodeExecutions, maxNodes)
    }
    if let seconds = plan.maxExecutionSeconds {
      maxExecutionTime = seconds < 0 ? .seconds(3600) : .seconds(min(seconds, 86_400))
    }
    if let bytes = plan.maxValueBytes {
      maxValueBytes = planBytes(bytes, largest: 1 << 30)
    }
    if let bytes = plan.maxRunMemoryBytes {
      maxRunBytes = planBytes(bytes, largest: 8 << 30)
    }
  }
}

/// A plan's byte limit within `largest`, -1 (unlimited) meaning `largest`: nothing a run builds
/// or stores is ever unbounded.
private func planBytes(_ value: Int64, largest: Int) -> Int {
  value < 0 ? largest : Int(min(value, Int64(largest)))
}

/// Bounds on what an execution stores, so that every response carrying it fits in one message:
/// the input (1 MiB, checked when accepted), the result (the plan's `max_result_bytes`, never over
/// ``ceiling``) and the node runs (the first and last ``nodeRunsKept`` halves) stay well under the
/// 4 MiB frame limit together.
enum ExecutionResultLimits {
  /// The most any plan may store as one result.
  static let ceiling = 2 << 20
  /// Node runs kept for one execution: the first half and the last half of a longer list.
  static let nodeRunsKept = 2000

  /// The plan's result limit, within the ceiling (-1, unlimited, is the ceiling).
  static func resultBytes(_ limits: PlanLimits) -> Int {
    planBytes(limits.maxResultBytes ?? -1, largest: ceiling)
  }

  static func stored(_ runs: [NodeRun]) -> [NodeRun] {
    guard runs.count > nodeRunsKept else { return runs }
    return Array(runs.prefix(nodeRunsKept / 2) + runs.suffix(nodeRunsKept / 2))
  }

  /// What is stored instead of a result the tenant's storage quota has no room for.
  static let storageFullMarker = JSONWriter().string([
    "node_results": .object([:]), "final_output": .null,
    "truncated": [
      "reason": "the result was not stored: the tenant's storage quota is full"
    ],
  ])
}
