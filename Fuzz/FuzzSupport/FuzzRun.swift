import Dispatch
public import ThaiyyalEngine

/// Limits tight enough that a fuzzer's input cannot take long or use much memory.
public func fuzzLimits() -> EngineLimits {
  var limits = EngineLimits()
  limits.maxExecutionTime = .seconds(2)
  limits.maxDelay = .zero
  limits.maxValueBytes = 1 << 20
  limits.maxRunBytes = 8 << 20
  limits.maxNodes = 64
  return limits
}

/// Runs a definition to its result, blocking the fuzzer's thread until the run ends.
public func runBlocking(_ definition: String) {
  let done = DispatchSemaphore(value: 0)
  Task {
    _ = await WorkflowEngine(limits: fuzzLimits(), branchConcurrency: .off)
      .run(definition: definition)
    done.signal()
  }
  done.wait()
}
