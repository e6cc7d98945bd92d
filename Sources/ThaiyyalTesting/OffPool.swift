import Dispatch

/// Runs blocking work (a blocking socket read, waiting for a process) on a Dispatch thread, so it
/// cannot starve the small Swift concurrency pool that the server under test needs.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
  }
}

/// Runs blocking work on a Dispatch thread; see ``offPool(_:)-(()->T)``.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(returning: work()) }
  }
}
