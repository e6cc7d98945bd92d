import Dispatch
import Testing
import ThaiyyalEngine

/// Runs a workflow document and returns the result.
func run(_ definition: String, limits: EngineLimits = EngineLimits()) async -> ExecutionResult {
  await WorkflowEngine(limits: limits).runOffPool(definition: definition)
}

extension WorkflowEngine {
  /// ``run(definition:input:)`` on threads of its own, as the server runs workflows: a heavy
  /// run must not hold the few threads of the pool that the other tests (servers, timers) share.
  func runOffPool(definition: String, input: JSONValue? = nil) async -> ExecutionResult {
    await withTaskExecutorPreference(EngineTestThreads.shared) {
      await run(definition: definition, input: input)
    }
  }
}

/// A task executor on Dispatch's threads, apart from Swift's cooperative pool.
final class EngineTestThreads: TaskExecutor, @unchecked Sendable {
  static let shared = EngineTestThreads()
  private let queue = DispatchQueue(label: "engine-tests", attributes: .concurrent)

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}

/// A table case: a workflow document and what it must produce.
struct EngineCase: Sendable, CustomTestStringConvertible {
  var name: String
  var definition: String
  var nodeResults: [String: JSONValue]? = nil
  var finalOutput: JSONValue? = nil
  var error: String? = nil

  var testDescription: String { name }

  func check() async {
    let result = await run(definition)
    if let error {
      #expect(result.errors == [error], "\(name)")
      #expect(result.finalOutput == nil, "\(name)")
    } else {
      #expect(result.errors.isEmpty, "\(name): \(result.errors)")
    }
    if let nodeResults { #expect(result.nodeResults == nodeResults, "\(name)") }
    if let finalOutput { #expect(result.finalOutput == finalOutput, "\(name)") }
  }
}
