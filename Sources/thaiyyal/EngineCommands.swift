import ArgumentParser
import Foundation
import ThaiyyalEngine

/// `thaiyyal run FILE.json [--input JSON]`: runs a workflow file offline, with no server, and
/// prints the `Result`.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a workflow file offline and print its Result as JSON."
  )

  @Argument(help: "The workflow definition (JSON).") var file: String
  @Option(help: "The run's input as JSON, readable as variables.input in expressions.")
  var input: String?
  @Flag(help: "Indent the output.") var pretty = false

  func run() async throws {
    let definition = try readDefinitionFile(file)
    var value: JSONValue?
    if let input {
      do {
        value = try JSONParser().parse(input)
      } catch {
        throw UsageError("--input is not valid JSON: \(error)")
      }
    }
    let result = await WorkflowEngine().run(definition: definition, input: value)
    print(JSONWriter(indent: pretty ? "  " : nil).string(result.json))
    if !result.succeeded { throw ExitCode(1) }
  }
}

/// `thaiyyal validate FILE.json [--strict]`: prints every problem of a definition, and with
/// `--strict` warnings about what is legal but almost surely a mistake; exits 1 only when there
/// is a problem.
struct ValidateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a workflow file and print every problem."
  )

  @Argument(help: "The workflow definition (JSON).") var file: String
  @Flag(help: "Also warn about what is legal but almost surely a mistake.") var strict = false

  func run() async throws {
    let definition = try readDefinitionFile(file)
    do {
      let workflow = try WorkflowDecoder().decode(definition)
      print("valid: \(workflow.nodes.count) nodes, \(workflow.edges.count) edges")
      if strict {
        for warning in WorkflowLinter.warnings(workflow) { print("warning: \(warning)") }
      }
    } catch {
      for problem in error.problems { print("\(problem.field): \(problem.message)") }
      throw ExitCode(1)
    }
  }
}
