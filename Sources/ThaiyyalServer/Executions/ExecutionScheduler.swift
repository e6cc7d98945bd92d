import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalThreads

/// One accepted execution waiting for, or holding, a worker.
struct ExecutionJob: Sendable {
  /// The tenant the execution was accepted in (or recovered in, at start-up).
  let scope: TenantScope
  let executionID: ExecutionID
  /// The plan's limits when the execution was accepted, and the engine's limits made of them.
  let planLimits: PlanLimits
  let limits: EngineLimits
  /// The tenant's plan limit on its executions running at once.
  let maxConcurrent: Int
  /// The run's input as parsed when it was accepted; `nil` when there is none, or when it was
  /// too large to hold while queued (the runner parses the stored text then).
  let input: JSONValue?

  var tenantID: TenantID { scope.tenantID }
}

/// A bounded worker pool fed by one FIFO queue per tenant, served round-robin: a free worker goes
/// to the next tenant after the one served last that has work and room under its own concurrency
/// limit. So a tenant that queued 10,000 executions delays another tenant's single execution by at
/// most one execution slot. No tenant holds more than half the workers (``maxShare``), whatever
/// its plan allows, so runs that each take their whole time limit cannot occupy every worker.
///
/// Where servers share a database, a ``WorkSharingService`` fills idle workers with executions
/// waiting in busy servers' queues (``untilIdle()``).
///
/// Queue lengths are limited per tenant (``reserve(_:maxQueued:)`` before the execution is stored,
/// so a full queue refuses the call before anything is written). Running executions can be
/// cancelled; queued ones are removed.
actor ExecutionScheduler {
  typealias Runner = @Sendable (ExecutionJob) async -> JobEnd

  /// How a worker's turn with a job ended.
  enum JobEnd: Sendable {
    case done
    /// The tenant already runs its plan's number of executions across every server sharing the
    /// database: the job goes back to the end of its tenant's queue after ``deferral``.
    case deferred
  }

  /// How long a deferred job waits before it is queued again.
  static let deferral = Duration.milliseconds(250)

  private let workers: Int
  private var runner: Runner?
  private var queues: [TenantID: TenantQueue] = [:]
  /// Tenants with queued work, in round-robin order; `cursor` is where the next search starts.
  private var ring: [TenantID] = []
  private var cursor = 0
  private var running: [ExecutionID: (tenantID: TenantID, task: Task<Void, Never>)] = [:]
  /// Who cancelled a running execution, for the audit entry its runner writes with the outcome.
  private var cancellers: [ExecutionID: AuditContext] = [:]
  private var runningPerTenant: [TenantID: Int] = [:]
  private var reserved: [TenantID: Int] = [:]
  private var waiters: [ExecutionID: [Int: CheckedContinuation<Void, Never>]] = [:]
  private var nextWaiter = 0
  private var stopped = false
  /// The work-sharing loop, waiting in ``untilIdle()``.
  private var idleWaiter: CheckedContinuation<Void, Never>?

  /// Where runs execute, at nice 10; see ``DedicatedThreads``.
  private let threads: DedicatedThreads

  /// The most workers one tenant holds at once.
  private var maxShare: Int { max(1, workers / 2) }

  init(workers: Int) {
    self.workers = max(1, workers)
    threads = DedicatedThreads(name: "run", count: self.workers, niceness: 10)
  }

  /// Sets what runs a job; jobs queued before this wait for it.
  func start(runner: @escaping Runner) {
    self.runner = runner
    dispatch()
  }

  /// Holds a queue place for an execution about to be stored.
  func reserve(_ tenantID: TenantID, maxQueued: Int) -> Reservation {
    guard !stopped else { return .stopping }
    let queued = (queues[tenantID]?.count ?? 0) + reserved[tenantID, default: 0]
    guard queued < maxQueued else { return .queueFull }
    reserved[tenantID, default: 0] += 1
    return .reserved
  }

  enum Reservation {
    case reserved, queueFull, stopping
  }

  /// Gives back a reservation whose execution was not stored.
  func release(_ tenantID: TenantID) {
    reserved[tenantID, default: 1] -= 1
  }

  /// Queues a stored execution, using a reservation when `reserved` (re-queued executions at
  /// start-up have none).
  func enqueue(_ job: ExecutionJob, reserved usesReservation: Bool = true) {
    if usesReservation { reserved[job.tenantID, default: 1] -= 1 }
    waiters[job.executionID] = waiters[job.executionID] ?? [:]
    if queues[job.tenantID] == nil {
      queues[job.tenantID] = TenantQueue()
      ring.append(job.tenantID)
    }
    queues[job.tenantID]!.append(job)
    dispatch()
  }

  /// Removes a queued execution, or cancels a running one, which stops inside its current node
  /// and records the cancellation, audited as `by`, in the transaction that ends it.
  ///
  /// - Returns: What was found.
  func cancel(_ id: ExecutionID, by canceller: AuditContext) -> CancelResult {
    if let entry = running[id] {
      cancellers[id] = canceller
      entry.task.cancel()
      return .running
    }
    for (tenantID, var queue) in queues {
      guard queue.remove(id) else { continue }
      queues[tenantID] = queue
      if queue.count == 0 { removeFromRing(tenantID) }
      finishWaiters(id)
      dispatch()
      return .queued
    }
    return .unknown
  }

  enum CancelResult {
    case queued, running, unknown
  }

  /// Returns when the execution has finished running (or at once if this scheduler does not hold
  /// it), or when the calling task is cancelled.
  func waitUntilFinished(_ id: ExecutionID) async {
    guard waiters[id] != nil else { return }
    let key = nextWaiter
    nextWaiter += 1
    await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        if Task.isCancelled || waiters[id] == nil {
          continuation.resume()
        } else {
          waiters[id]![key] = continuation
        }
      }
    } onCancel: {
      Task { await self.dropWaiter(id, key) }
    }
  }

  /// Free workers while nothing queued here can use them: how many executions this server could
  /// take over from other servers' queues.
  var idleWorkers: Int {
    ring.isEmpty && runner != nil && !stopped ? workers - running.count : 0
  }

  /// Returns when ``idleWorkers`` is above zero (true), or when the scheduler stops or the calling
  /// task is cancelled (false). One caller at a time.
  func untilIdle() async -> Bool {
    while idleWorkers == 0 && !stopped && !Task.isCancelled {
      await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
          if Task.isCancelled || idleWorkers > 0 || stopped {
            continuation.resume()
          } else {
            wakeIdleWaiter()
            idleWaiter = continuation
          }
        }
      } onCancel: {
        Task { await self.wakeIdleWaiter() }
      }
    }
    return idleWorkers > 0 && !Task.isCancelled
  }

  private func wakeIdleWaiter() {
    idleWaiter?.resume()
    idleWaiter = nil
  }

  /// Whether ``shutdown(grace:)`` has begun: a run cancelled now was stopped by the server, not by
  /// a user.
  var isStopping: Bool { stopped }

  /// How many executions are queued and running, for tests and health.
  var load: (queued: Int, running: Int) {
    (queues.values.reduce(0) { $0 + $1.count }, running.count)
  }

  /// Stops dispatching; waits up to `grace` for running executions, then cancels the rest and
  /// waits for them to record it. Queued executions stay pending in the database, for start-up
  /// recovery.
  func shutdown(grace: Duration) async {
    stopped = true
    wakeIdleWaiter()
    let deadline = ContinuousClock.now + grace
    while !running.isEmpty, ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(20))
    }
    let tasks = running.values.map(\.task)
    for task in tasks { task.cancel() }
    for task in tasks { await task.value }
    threads.shutdown()
  }

  // MARK: Dispatch

  private func dispatch() {
    guard let runner, !stopped else { return }
    while running.count < workers, let job = nextJob() {
      let task = Task(executorPreference: threads) {
        let end = await runner(job)
        await self.finished(job, end)
      }
      running[job.executionID] = (job.tenantID, task)
      runningPerTenant[job.tenantID, default: 0] += 1
    }
    if idleWorkers > 0 { wakeIdleWaiter() }
  }

  /// The head of the next tenant's queue in round-robin order that has room to run one more.
  private func nextJob() -> ExecutionJob? {
    guard !ring.isEmpty else { return nil }
    for step in 0 ..< ring.count {
      let index = (cursor + step) % ring.count
      let tenantID = ring[index]
      guard var queue = queues[tenantID], let head = queue.first,
        runningPerTenant[tenantID, default: 0] < min(head.maxConcurrent, maxShare)
      else { continue }
      _ = queue.popFirst()
      queues[tenantID] = queue
      cursor = index + 1
      if queue.count == 0 { removeFromRing(tenantID) }
      return head
    }
    return nil
  }

  private func removeFromRing(_ tenantID: TenantID) {
    queues[tenantID] = nil
    guard let index = ring.firstIndex(of: tenantID) else { return }
    ring.remove(at: index)
    if index < cursor { cursor -= 1 }
    if cursor >= ring.count { cursor = 0 }
  }

  /// Who cancelled a running execution, if a user did.
  func canceller(of id: ExecutionID) -> AuditContext? {
    cancellers[id]
  }

  private func finished(_ job: ExecutionJob, _ end: JobEnd) {
    running[job.executionID] = nil
    cancellers[job.executionID] = nil
    runningPerTenant[job.tenantID, default: 1] -= 1
    if runningPerTenant[job.tenantID] == 0 { runningPerTenant[job.tenantID] = nil }
    switch end {
    case .done:
      finishWaiters(job.executionID)
    case .deferred:
      // Its waiters keep waiting; the worker goes to other work meanwhile.
      Task {
        try? await Task.sleep(for: Self.deferral)
        self.enqueue(job, reserved: false)
      }
    }
    dispatch()
  }

  private func finishWaiters(_ id: ExecutionID) {
    let continuations = waiters.removeValue(forKey: id)?.values.map { $0 } ?? []
    for continuation in continuations { continuation.resume() }
  }

  private func dropWaiter(_ id: ExecutionID, _ key: Int) {
    waiters[id]?.removeValue(forKey: key)?.resume()
  }
}

/// A FIFO queue with O(1) removal at the front.
private struct TenantQueue {
  private var items: [ExecutionJob] = []
  private var head = 0

  var count: Int { items.count - head }
  var first: ExecutionJob? { head < items.count ? items[head] : nil }

  mutating func append(_ job: ExecutionJob) { items.append(job) }

  mutating func popFirst() -> ExecutionJob? {
    guard head < items.count else { return nil }
    defer {
      head += 1
      if head > 64 && head * 2 > items.count {
        items.removeFirst(head)
        head = 0
      }
    }
    return items[head]
  }

  /// Removes a queued job by id; O(n), for cancellation.
  mutating func remove(_ id: ExecutionID) -> Bool {
    guard let index = items[head...].firstIndex(where: { $0.executionID == id }) else {
      return false
    }
    items.remove(at: index)
    return true
  }
}
