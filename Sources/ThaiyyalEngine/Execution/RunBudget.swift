import Dispatch
import Synchronization

/// What one run may spend, shared by every node and expression of the run (also by branches that
/// run concurrently): bytes of the values it builds, and time.
///
/// Work that can grow with what a workflow asks for asks the budget first: a string or array is
/// sized before it is built (``reserve(bytes:)``), every node's result is measured when it is
/// produced, and loops call ``checkpoint()`` so the run's time limit and cancellation reach into
/// long node work and expression evaluation, not only node boundaries.
///
/// A checkpoint is one atomic load: the watchdog (``RunWatchdog``) and the run's cancellation
/// handler set the stop themselves, so the limit holds in wall-clock time however little CPU the
/// run gets, and loops pay almost nothing for checking.
///
/// - Important: Exhaustion is sticky. Once a limit is hit, every later check fails with the same
///   reason and the run ends at its next node boundary with it, so a node that swallows errors (a
///   filter condition, `coalesce`, `try_catch`) cannot carry a run past its budget.
final class RunBudget: Sendable {
  /// Why a run was stopped by its budget.
  struct Exceeded: Error, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
      case memory, time, cancelled
    }
    let kind: Kind
    let message: String
  }

  let deadline: ContinuousClock.Instant
  /// The largest single value (a string's bytes, a container's estimated JSON size).
  let maxValueBytes: Int
  /// The bytes of all values the run builds, added up.
  let maxRunBytes: Int
  private let spent = Atomic<Int>(0)
  private let stopped = Atomic<Bool>(false)
  private let reason = Mutex<Exceeded?>(nil)

  init(limits: EngineLimits, start: ContinuousClock.Instant = .now) {
    deadline = start + limits.maxExecutionTime
    maxValueBytes = limits.maxValueBytes
    maxRunBytes = limits.maxRunBytes
  }

  /// Why the run was stopped, once it was.
  var exceeded: Exceeded? {
    guard stopped.load(ordering: .acquiring) else { return nil }
    return reason.withLock { $0 }
  }

  /// Fails once the run was stopped: out of time, cancelled or over a limit. One load: call it
  /// in every loop.
  @inline(__always)
  func checkpoint() throws(Exceeded) {
    if let exceeded { throw exceeded }
  }

  /// ``checkpoint()``, also reading the clock and the task's cancellation: at node boundaries, in
  /// case the watchdog fired late.
  func checkDeadline() throws(Exceeded) {
    try checkpoint()
    if Task.isCancelled { throw stop(.cancelled, "execution cancelled") }
    if ContinuousClock.now >= deadline { throw stop(.time, "context deadline exceeded") }
  }

  /// Runs `body` watched: the run is stopped when its deadline passes (``RunWatchdog``) or its
  /// task is cancelled, wherever it is.
  func watch<T>(_ body: () async -> T) async -> T {
    RunWatchdog.shared.register(self)
    defer { RunWatchdog.shared.unregister(self) }
    return await withTaskCancellationHandler {
      await body()
    } onCancel: {
      _ = stop(.cancelled, "execution cancelled")
    }
  }

  /// Stops the run if its deadline has passed; the watchdog calls it.
  func expireIfDue(_ now: ContinuousClock.Instant) {
    if now >= deadline { _ = stop(.time, "context deadline exceeded") }
  }

  /// Asks whether a value of `bytes` may be built: refused when the value alone is over the
  /// per-value limit or would not fit in what is left of the run's budget, or when the run was
  /// already stopped. What is built is charged once, as part of the node result that holds it.
  func reserve(bytes: Int) throws(Exceeded) {
    try checkpoint()
    guard bytes <= maxValueBytes else {
      throw stop(
        .memory,
        "value too large: \(bytes) bytes (limit: \(maxValueBytes) bytes per value)"
      )
    }
    guard spent.load(ordering: .relaxed) + bytes <= maxRunBytes else { throw overBudget() }
  }

  /// Measures a value that was built and checks it against the per-value limit; the measurement
  /// stops at that limit, so it costs no more than the value is allowed to be. Returns its size.
  @discardableResult
  func measure(_ value: JSONValue) throws(Exceeded) -> Int {
    guard let size = value.estimatedSize(upTo: maxValueBytes) else {
      throw stop(.memory, "value too large: more than \(maxValueBytes) bytes (limit per value)")
    }
    return size
  }

  /// Charges a node's result to the run: what the run's values add up to, as they are kept and
  /// as they are written out with the result.
  func charge(_ result: JSONValue) throws(Exceeded) {
    let size = try measure(result)
    guard spent.add(size, ordering: .relaxed).newValue <= maxRunBytes else { throw overBudget() }
  }

  private func overBudget() -> Exceeded {
    stop(.memory, "run memory budget exceeded: more than \(maxRunBytes) bytes of values")
  }

  /// Records the first reason the run stops; later reasons keep the first.
  private func stop(_ kind: Exceeded.Kind, _ message: String) -> Exceeded {
    let first = reason.withLock { current in
      if current == nil { current = Exceeded(kind: kind, message: message) }
      return current!
    }
    stopped.store(true, ordering: .releasing)
    return first
  }
}

/// Stops runs whose deadline passed, from a timer of its own, so a run's time limit holds in
/// wall-clock time even when the run's thread gets little CPU. One timer serves every run: it
/// ticks every 10 ms while runs are registered and stops after a second without any, so a run
/// pays two short locked updates, not a timer of its own.
final class RunWatchdog: Sendable {
  static let shared = RunWatchdog()

  private struct State {
    var runs: [ObjectIdentifier: RunBudget] = [:]
    var timer: (any DispatchSourceTimer)?
    var idleTicks = 0
  }

  private let state = Mutex(State())
  private let queue = DispatchQueue(label: "thaiyyal.run-watchdog")
  private static let period: DispatchTimeInterval = .milliseconds(10)
  /// Ticks without runs before the timer stops (one second).
  private static let idleTicksBeforeStopping = 100

  func register(_ budget: RunBudget) {
    state.withLock { state in
      state.runs[ObjectIdentifier(budget)] = budget
      state.idleTicks = 0
      guard state.timer == nil else { return }
      let timer = DispatchSource.makeTimerSource(queue: queue)
      timer.schedule(
        deadline: .now() + Self.period,
        repeating: Self.period,
        leeway: .milliseconds(2)
      )
      timer.setEventHandler { [self] in tick() }
      timer.resume()
      state.timer = timer
    }
  }

  func unregister(_ budget: RunBudget) {
    _ = state.withLock { $0.runs.removeValue(forKey: ObjectIdentifier(budget)) }
  }

  private func tick() {
    let runs = state.withLock { state -> [RunBudget] in
      if state.runs.isEmpty {
        state.idleTicks += 1
        if state.idleTicks >= Self.idleTicksBeforeStopping {
          state.timer?.cancel()
          state.timer = nil
        }
        return []
      }
      return Array(state.runs.values)
    }
    let now = ContinuousClock.now
    for run in runs { run.expireIfDue(now) }
  }
}

extension JSONValue {
  /// About how many bytes this value takes, in memory or written as JSON, whichever is more; nil
  /// when that is over `limit`. Walks the structure iteratively and stops at the limit, so a value
  /// that shares one large part many times (little memory, but a lot to write out) is seen at its
  /// full written size without being written.
  func estimatedSize(upTo limit: Int) -> Int? {
    // Scalars, the common case, without allocating the walk's stack.
    if let size = Self.scalarSize(self) { return size <= limit ? size : nil }
    var total = 0
    var stack: [JSONValue] = [self]
    // Only containers are pushed: scalars are counted where they are met.
    while let value = stack.popLast() {
      switch value {
      case .null, .bool, .number, .string: break
      case .array(let items):
        total += 32
        for item in items { total += Self.scalarSize(item) ?? Self.pushed(item, &stack) }
      case .object(let fields):
        total += 48
        for (key, field) in fields {
          total += 16 + key.utf8.count + (Self.scalarSize(field) ?? Self.pushed(field, &stack))
        }
      }
      if total > limit { return nil }
    }
    return total
  }

  /// A scalar's size, counted in place; nil for a container, which the walk visits.
  @inline(__always)
  private static func scalarSize(_ value: JSONValue) -> Int? {
    switch value {
    case .null, .bool, .number: 16
    case .string(let text): 16 + text.utf8.count
    case .array, .object: nil
    }
  }

  /// Puts a container on the walk's stack; it is counted when visited.
  @inline(__always)
  private static func pushed(_ value: JSONValue, _ stack: inout [JSONValue]) -> Int {
    stack.append(value)
    return 0
  }

  /// What one value is counted at when text is sized before it is parsed: `[[],[],…]` makes an
  /// array of about this many bytes from every three bytes of text.
  static let bytesPerParsedValue = 32
}
