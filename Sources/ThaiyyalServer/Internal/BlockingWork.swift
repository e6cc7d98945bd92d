import Dispatch
import Foundation

/// Runs CPU-heavy work (password hashing) on a small dedicated pool, never on the event loop and
/// never more of it at once than there are cores, so a burst of logins cannot exhaust memory
/// (each scrypt run holds 16 MiB) or starve other calls.
final class BlockingWork: Sendable {
  private let queue = DispatchQueue(label: "thaiyyal.blocking", attributes: .concurrent)
  private let slots: DispatchSemaphore

  init(concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
    slots = DispatchSemaphore(value: max(1, concurrency))
  }

  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      queue.async { [slots] in
        slots.wait()
        defer { slots.signal() }
        continuation.resume(with: Result { try work() })
      }
    }
  }
}
