import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The threads workflow runs execute on: a fixed number of their own, at a lower scheduling
/// priority (nice 10), never the cooperative pool that serves calls.
///
/// A run is CPU-bound for up to its plan's time limit. On the shared pool, two such runs on a
/// two-core machine would hold every thread that serves calls, Health included. Here they only
/// compete for CPU, and the kernel gives the server's other threads about ten times their share.
/// Tasks started with this executor as their preference (and their child tasks) run here; what
/// they await elsewhere (the database) comes back here.
final class ExecutionThreads: TaskExecutor, @unchecked Sendable {
  /// Guards `jobs` and `stopping`; threads wait on it for work.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []
  private var head = 0
  private var stopping = false
  private var live: Int

  private let niceness: Int32

  /// Starts `count` threads.
  init(count: Int, niceness: Int32 = 10) {
    self.niceness = niceness
    live = max(1, count)
    for index in 0 ..< live { startThread(named: "thaiyyal-run-\(index)") }
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.lock()
    jobs.append(job)
    // After shutdown the threads are gone; a late job gets one that ends when it is done.
    let needsThread = live == 0
    if needsThread { live = 1 }
    condition.signal()
    condition.unlock()
    if needsThread { startThread(named: "thaiyyal-run-late") }
  }

  /// Lets the threads finish the jobs they have and end.
  func shutdown() {
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
