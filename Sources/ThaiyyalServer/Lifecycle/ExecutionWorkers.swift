import Logging
import ServiceLifecycle
import ThaiyyalStore

/// The execution workers as a `Service`: `run()` starts dispatching (first the runs recovered at
/// start-up), and on graceful shutdown stops starting runs and gives running ones up to `grace`
/// before ending them. Queued runs stay pending in the database: for the next start where the
/// server is alone on it; handed to the other servers at once where it shares it (`leases`).
struct ExecutionWorkers: Service {
  let scheduler: ExecutionScheduler
  let runner: ExecutionRunner
  /// Runs recovered at start-up to be queued again.
  let recovered: [ExecutionJob]
  let grace: Duration
  let leases: (any ExecutionLeases)?
  let logger: Logger

  func run() async throws {
    await scheduler.start { [runner] job in await runner.run(job) }
    for job in recovered { await scheduler.enqueue(job, reserved: false) }
    do {
      try await gracefulShutdown()
      await scheduler.shutdown(grace: grace)
      if let leases {
        do {
          let count = try await leases.releaseWaiting()
          if count > 0 {
            logger.notice(
              "handed queued executions to the other servers",
              metadata: ["count": "\(count)"]
            )
          }
        } catch {
          // Their leases lapse instead, and another server recovers them.
          logger.warning("could not hand queued executions over", metadata: ["error": "\(error)"])
        }
      }
    } catch {
      await scheduler.shutdown(grace: .zero)
      throw error
    }
  }
}
