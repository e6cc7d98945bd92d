import Logging
import ServiceLifecycle

/// Deletes finished executions past each tenant's retention every `interval`, until shutdown.
struct RetentionService: Service {
  let maintenance: ExecutionMaintenance
  let interval: Duration
  let batchSize: Int
  let logger: Logger

  func run() async throws {
    await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        try? await Task.sleep(for: interval)
        guard !Task.isCancelled else { break }
        do {
          try await maintenance.pruneExpired(batchSize: batchSize)
        } catch {
          logger.error("pruning executions failed", metadata: ["error": "\(error)"])
        }
      }
    }
  }
}
