import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalServer

#if canImport(Glibc)
import Glibc
#endif

/// `thaiyyal exec ...`: runs of the signed-in tenant's workflows.
struct ExecCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec",
    abstract: "Run workflows and inspect their executions.",
    subcommands: [Run.self, Get.self, List.self, Cancel.self]
  )

  static func text(_ execution: Thaiyyal_V1_Execution, result: Bool) -> [(String, String)] {
    var lines: [(String, String)] = [
      ("id", execution.id), ("workflow", "\(execution.workflowID) v\(execution.workflowVersion)"),
      ("status", Output.name(execution.status)), ("trigger", Output.name(execution.trigger)),
      ("created", Output.time(execution.createTime)), ("started", Output.time(execution.startTime)),
      ("ended", Output.time(execution.endTime)), ("nodes run", String(execution.nodesExecuted)),
    ]
    if !execution.error.isEmpty { lines.append(("error", execution.error)) }
    if result && !execution.resultJson.isEmpty { lines.append(("result", execution.resultJson)) }
    return lines
  }

  struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Start a run of a workflow; with --wait, wait for its outcome."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var workflow: String
    @Option(help: "The run's input as JSON (variables.input in expressions).") var input: String?
    @Option(help: "A version (default the latest).") var version: Int64 = 0
    @Flag(help: "Wait until the run ends and show its result.") var wait = false
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_StartExecutionRequest()
      request.workflowID = workflow
      request.version = version
      request.inputJson = input ?? ""
      request.trigger = .manual
      var execution = try await server.call { client, options in
        try await client.executions.startExecution(request, options: options)
      }
      if wait {
        execution = try await waitForOutcome(execution.id)
      }
      try Output.object(execution, output, text: ExecCommand.text(execution, result: true))
      if wait && execution.status != .completed { throw ExitCode(1) }
    }

    /// Polls until the run ends, with a spinner on standard error when it is a terminal.
    private func waitForOutcome(_ id: String) async throws -> Thaiyyal_V1_Execution {
      let spinner = isatty(STDERR_FILENO) == 1 ? Array("|/-\\") : []
      defer { if !spinner.isEmpty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
      return try await server.call { client, options in
        var delay = Duration.milliseconds(20)
        var tick = 0
        while true {
          let current = try await client.executions.getExecution(
            .with { $0.id = id },
            options: options
          )
          if [.completed, .failed, .cancelled].contains(current.status) { return current }
          if !spinner.isEmpty {
            let line = "\r\(spinner[tick % spinner.count]) \(Output.name(current.status)) \(id)"
            FileHandle.standardError.write(Data(line.utf8))
            tick += 1
          }
          try await Task.sleep(for: delay)
          delay = min(delay * 2, .milliseconds(250))
        }
      }
    }
  }

  struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an execution and its result.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Execution id.") var id: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      let execution = try await server.call { client, options in
        try await client.executions.getExecution(.with { $0.id = id }, options: options)
      }
      try Output.object(execution, output, text: ExecCommand.text(execution, result: true))
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List executions, newest first.")
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Only runs of this workflow id.") var workflow: String?
    @Option(help: "Only this status.") var status: ExecutionRecord.Status?
    @Flag(help: "Include inputs and results.") var results = false
    @Option(help: "At most this many executions.") var limit: Int = 100
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ListExecutionsRequest()
      request.workflowID = workflow ?? ""
      request.status = status?.proto ?? .unspecified
      request.includeResults = results
      request.pageSize = Int32(min(max(limit, 1), 1000))
      let executions = try await server.collect(limit: limit) { client, options, token in
        request.pageToken = token
        let page = try await client.executions.listExecutions(request, options: options)
        return (page.executions, page.nextPageToken)
      }
      try Output.list(
        executions,
        output,
        columns: [
          ("ID", \.id), ("STATUS", { Output.name($0.status) }),
          ("WORKFLOW", { "\($0.workflowID) v\($0.workflowVersion)" }),
          ("CREATED", { Output.time($0.createTime) }), ("ERROR", \.error),
        ]
      )
    }
  }

  struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cancel a queued or running execution."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Execution id.") var id: String

    func run() async throws {
      let execution = try await server.call { client, options in
        try await client.executions.cancelExecution(.with { $0.id = id }, options: options)
      }
      print("\(execution.id): \(Output.name(execution.status))")
    }
  }
}
