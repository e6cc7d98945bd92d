import Synchronization
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalThreads

/// Runs CPU-heavy work (password hashing) on its own small pool of threads at a lower priority,
/// never on the threads that serve calls, with a bounded queue: when `maxPending` pieces of work
/// are already waiting or running, more are refused at once (`RESOURCE_EXHAUSTED`, reason
/// `PASSWORD_CHECKS_BUSY`) instead of queuing, so a burst of logins costs the server at most one
/// hashing thread's CPU and `maxPending` scrypt buffers (16 MiB each) of memory.
final class BlockingWork: Sendable {
  private let threads: DedicatedThreads
  private let pending = Atomic<Int>(0)
  private let maxPending: Int

  init(threads count: Int, maxPending: Int) {
    threads = DedicatedThreads(name: "hash", count: count, niceness: 5)
    self.maxPending = max(1, maxPending)
  }

  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    guard pending.add(1, ordering: .relaxed).newValue <= maxPending else {
      pending.subtract(1, ordering: .relaxed)
      throw RPCError.retryLater(
        "too many password checks in progress; retry shortly",
        reason: "PASSWORD_CHECKS_BUSY",
        metadata: ["limit": String(maxPending)],
        after: .seconds(1)
      )
    }
    defer { pending.subtract(1, ordering: .relaxed) }
    return try await withTaskExecutorPreference(threads) { try work() }
  }

  /// Lets the threads end once their work is done.
  func shutdown() { threads.shutdown() }
}
