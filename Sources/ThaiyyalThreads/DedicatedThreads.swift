import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fixed number of threads of their own, at a lower scheduling priority, for work that must
/// never run on the cooperative pool that serves calls: CPU-heavy work (workflow runs at nice 10,
/// password hashing at nice 5) and work that blocks (a PostgreSQL transaction waiting on its
/// queries, at nice 0).
///
/// A run is CPU-bound for up to its plan's time limit. On the shared pool, two such runs on a
/// two-core machine would hold every thread that serves calls, Health included. Here they only
/// compete for CPU, and the kernel gives the server's other threads a larger share. Tasks started
/// with this executor as their preference (and their child tasks) run here; what they await
/// elsewhere (the database) comes back here.
package final class DedicatedThreads: TaskExecutor, @unchecked Sendable {
  /// Guards `jobs` and `stopping`; threads wait on it for work.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []
  private var head = 0
  private var stopping = false
  private var live: Int

  private let niceness: Int32
  private let name: String

  /// Starts `count` threads named `thaiyyal-<name>-<n>`.
  package init(name: String, count: Int, niceness: Int32) {
    self.name = name
    self.niceness = niceness
    live = max(1, count)
    for index in 0 ..< live { startThread(named: "thaiyyal-\(name)-\(index)") }
  }

  package func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.lock()
    jobs.append(job)
    // After shutdown the threads are gone; a late job gets one that ends when it is done.
    let needsThread = live == 0
    if needsThread { live = 1 }
    condition.signal()
    condition.unlock()
    if needsThread { startThread(named: "thaiyyal-\(name)-late") }
  }

  /// Lets the threads finish the jobs they have and end.
  package func shutdown() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
  }

  private func startThread(named name: String) {
    let thread = Thread { [self, niceness] in
      #if canImport(Glibc)
      // On Linux the nice value is per thread, and 0 names the calling one.
      _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
      #endif
      work()
    }
    thread.name = name
    thread.start()
  }

  private func work() {
    while let job = next() {
      job.runSynchronously(on: asUnownedTaskExecutor())
    }
  }

  private func next() -> UnownedJob? {
    condition.lock()
    defer { condition.unlock() }
    while head == jobs.count {
      if stopping {
        live -= 1
        return nil
      }
      condition.wait()
    }
    let job = jobs[head]
    head += 1
    if head > 256 && head * 2 > jobs.count {
      jobs.removeFirst(head)
      head = 0
    }
    return job
  }
}
