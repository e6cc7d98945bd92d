import Testing
import ThaiyyalEngine

/// Runs a workflow document and returns the result.
func run(_ definition: String, limits: EngineLimits = EngineLimits()) async -> ExecutionResult {
  await WorkflowEngine(limits: limits).run(definition: definition)
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
