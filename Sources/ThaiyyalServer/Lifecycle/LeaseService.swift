import Logging
import ServiceLifecycle
import ThaiyyalCore
import ThaiyyalStore

/// Beside other servers on one database: renews this server's execution leases every third of a
/// lease, and takes over (fails or re-queues, as configured) the executions of servers that
/// stopped renewing theirs. Runs until shutdown; a database that is briefly unreachable only
/// delays it.
struct LeaseService: Service {
  let leases: any ExecutionLeases
  let maintenance: ExecutionMaintenance
  let scheduler: ExecutionScheduler
  let requeue: Bool
  let clock: WallClock
  let logger: Logger

  func run() async throws {
    let interval = leases.leaseDuration / 3
    await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        try? await Task.sleep(for: interval)
        guard !Task.isCancelled else { break }
        do {
          // Lapsed leases first, this server's own among them: after an outage longer than a
          // lease, runs whose steps gave up are recovered before renewal would revive them.
          for job in try await maintenance.recoverLapsed(leases, requeue: requeue) {
            await scheduler.enqueue(job, reserved: false)
          }
          try await leases.renew(now: clock.nowMilliseconds())
        } catch {
          logger.warning("execution lease upkeep failed", metadata: ["error": "\(error)"])
        }
      }
    }
  }
}
