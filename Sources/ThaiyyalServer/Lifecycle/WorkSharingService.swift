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
  /// How long an idle server waits before it looks again after finding nothing to take: from
  /// ``poll`` doubling to ``maxPoll`` while there is nothing, so idle servers barely touch the
  /// database, and back to ``poll`` once something was taken.
  static let poll = Duration.milliseconds(250)
  static let maxPoll = Duration.seconds(2)

  func run() async throws {
    await cancelWhenGracefulShutdown {
      var pause = Self.poll
      while await scheduler.untilIdle() {
        let free = await scheduler.idleWorkers
        var jobs: [ExecutionJob] = []
        do {
          jobs = try await maintenance.claimWaiting(leases, waited: Self.waited, limit: free)
        } catch {
          logger.warning("taking over waiting executions failed", metadata: ["error": "\(error)"])
        }
        for job in jobs { await scheduler.enqueue(job, reserved: false) }
        if jobs.isEmpty {
          try? await Task.sleep(for: pause)
          pause = min(pause * 2, Self.maxPoll)
        } else {
          pause = Self.poll
        }
      }
      // The scheduler stopped first: a service runs until the shutdown reaches it.
      try? await gracefulShutdown()
    }
  }
}
