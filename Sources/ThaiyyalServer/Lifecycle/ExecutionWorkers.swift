import ServiceLifecycle

/// The execution workers as a `Service`: `run()` starts dispatching (first the runs recovered at
/// start-up), and on graceful shutdown stops starting runs and gives running ones up to `grace`
/// before ending them. Queued runs stay pending in the database for the next start.
struct ExecutionWorkers: Service {
  let scheduler: ExecutionScheduler
  let runner: ExecutionRunner
  /// Runs recovered at start-up to be queued again.
  let recovered: [ExecutionJob]
  let grace: Duration

  func run() async throws {
    await scheduler.start { [runner] job in await runner.run(job) }
    for job in recovered { await scheduler.enqueue(job, reserved: false) }
    do {
      try await gracefulShutdown()
      await scheduler.shutdown(grace: grace)
    } catch {
      await scheduler.shutdown(grace: .zero)
      throw error
    }
  }
}
