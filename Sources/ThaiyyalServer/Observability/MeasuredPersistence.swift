import Metrics
import ThaiyyalStore

/// The store, with every transaction timed (`thaiyyal_db_transaction_seconds`, by kind): what the
/// database costs each call, on either backend, without the backends knowing about metrics.
struct MeasuredPersistence: Persistence {
  let base: any Persistence
  private let reads = Metrics.Timer(
    label: "thaiyyal_db_transaction_seconds",
    dimensions: [("kind", "read")]
  )
  private let writes = Metrics.Timer(
    label: "thaiyyal_db_transaction_seconds",
    dimensions: [("kind", "write")]
  )

  init(_ base: any Persistence) { self.base = base }

  func write<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    let start = ContinuousClock.now
    defer { writes.record(duration: ContinuousClock.now - start) }
    return try await base.write(body)
  }

  func read<T: Sendable>(
    _ body: @escaping @Sendable (any StoreTransaction) throws -> T
  ) async throws -> T {
    let start = ContinuousClock.now
    defer { reads.record(duration: ContinuousClock.now - start) }
    return try await base.read(body)
  }

  func reclaimFreeSpace() async throws { try await base.reclaimFreeSpace() }
  func integrityCheck() async throws -> String { try await base.integrityCheck() }
  func close() throws { try base.close() }
  var leases: (any ExecutionLeases)? { base.leases }
}

extension Metrics.Timer {
  func record(duration: Duration) {
    let (seconds, attoseconds) = duration.components
    recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
