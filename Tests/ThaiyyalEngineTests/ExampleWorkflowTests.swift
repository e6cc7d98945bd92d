import Foundation
import Testing
import ThaiyyalEngine

/// Every workflow in examples/ produces its expected.json from its input.json, so a new user's
/// starting point always works.
@Suite("Example workflows")
struct ExampleWorkflowTests {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("examples")

  static func names() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { FileManager.default.fileExists(atPath: file($0, "workflow.json").path) }
      .sorted()
  }

  static func file(_ example: String, _ name: String) -> URL {
    directory.appendingPathComponent(example).appendingPathComponent(name)
  }

  @Test("there are at least twelve, each listed in examples/README.md")
  func listed() throws {
    let names = try Self.names()
    #expect(names.count >= 12)
    let index = try String(
      contentsOf: Self.directory.appendingPathComponent("README.md"),
      encoding: .utf8
    )
    for name in names { #expect(index.contains("(\(name)/workflow.json)"), "\(name)") }
  }

  @Test("each runs to its expected output", arguments: try names())
  func runs(_ name: String) async throws {
    let definition = try String(contentsOf: Self.file(name, "workflow.json"), encoding: .utf8)
    var input: JSONValue?
    if let text = try? String(contentsOf: Self.file(name, "input.json"), encoding: .utf8) {
      input = try JSONParser().parse(text)
    }
    let expected = try JSONParser().parse(
      String(contentsOf: Self.file(name, "expected.json"), encoding: .utf8)
    )
    let result = await WorkflowEngine().runOffPool(definition: definition, input: input)
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.finalOutput == expected)
    let sequential = await WorkflowEngine(branchConcurrency: .off)
      .runOffPool(definition: definition, input: input)
    #expect(sequential.finalOutput == expected, "run one node at a time")
  }
}
