import Logging
import ServiceLifecycle
import ThaiyyalStore

/// Beside other servers on one database: whenever this server has idle workers and nothing of
/// its own to run, it takes over executions that have waited in a busy server's queue (fairly
/// between tenants, see ``ExecutionLeases/claimWaiting(now:waited:limit:)``), so a backlog
/// accepted by one server is worked off by all of them. Runs until shutdown.
struct WorkSharingService: Service {
  let leases: any ExecutionLeases
  let maintenance: ExecutionMaintenance
  let scheduler: ExecutionScheduler
  let logger: Logger

  /// How long an execution waits in its server's queue before another may take it: a server
  /// with a free worker starts its own executions well within this, so only a backlog moves.
  static let waited = Duration.milliseconds(200)
  /// How long an idle server waits before it looks again after finding nothing to take.
  static let poll = Duration.milliseconds(250)

  func run() async throws {
    await cancelWhenGracefulShutdown {
      while await scheduler.untilIdle() {
        let free = await scheduler.idleWorkers
        var jobs: [ExecutionJob] = []
        do {
          jobs = try await maintenance.claimWaiting(leases, waited: Self.waited, limit: free)
        } catch {
          logger.warning("taking over waiting executions failed", metadata: ["error": "\(error)"])
        }
        for job in jobs { await scheduler.enqueue(job, reserved: false) }
        if jobs.isEmpty { try? await Task.sleep(for: Self.poll) }
      }
      // The scheduler stopped first: a service runs until the shutdown reaches it.
      try? await gracefulShutdown()
    }
  }
}
