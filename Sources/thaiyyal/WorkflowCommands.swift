import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalServer

/// `thaiyyal workflow ...`: the workflows of the signed-in tenant and their versions.
struct WorkflowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workflow",
    abstract: "Create, read, version and validate workflows.",
    subcommands: [
      Create.self, Get.self, List.self, Update.self, Delete.self, Versions.self, Rollback.self,
      Publish.self, Unpublish.self, Validate.self,
    ]
  )

  static func text(_ workflow: Thaiyyal_V1_Workflow) -> [(String, String)] {
    [
      ("id", workflow.id), ("name", workflow.name),
      ("version", "\(workflow.version) of \(workflow.latestVersion)"),
      ("visibility", Output.name(workflow.visibility)),
      ("published", workflow.published ? "yes" : "no"),
      ("tags", workflow.tags.joined(separator: ", ")), ("category", workflow.category),
      ("executions", String(workflow.executionCount)),
      ("last run", Output.time(workflow.lastExecutionTime)),
      ("updated", Output.time(workflow.updateTime)), ("etag", workflow.etag),
    ]
  }

  /// The descriptive flags shared by create and update.
  struct Fields: ParsableArguments {
    @Option(help: "Name (create: default the file's name).") var name: String?
    @Option(help: "Description.") var description: String?
    @Option(help: "A tag; repeat for several (update: replaces all tags).") var tag: [String] = []
    @Option(help: "Category.") var category: String?
    @Option(help: "private, team or public.") var visibility: WorkflowRecord.Visibility?
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Store a workflow definition file as a new workflow."
    )
    @OptionGroup var server: ServerAddressOptions
    @Option(name: [.short, .customLong("file")], help: "Definition JSON file, or - for stdin.")
    var file: String
    @OptionGroup var fields: Fields
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_CreateWorkflowRequest()
      request.definitionJson = try readDefinitionFile(file)
      request.name =
        fields.name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
      request.description_p = fields.description ?? ""
      request.tags = fields.tag
      request.category = fields.category ?? ""
      request.visibility = fields.visibility?.proto ?? .unspecified
      let workflow = try await server.call { client, options in
        try await client.workflows.createWorkflow(request, options: options)
      }
      try Output.object(workflow, output, text: WorkflowCommand.text(workflow))
    }
  }

  struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a workflow.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String
    @Option(help: "A version (default the latest).") var version: Int64 = 0
    @Flag(help: "Print only the definition JSON.") var definition = false
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      let workflow = try await server.call { client, options in
        try await client.workflows.getWorkflow(
          .with {
            $0.id = id
            $0.version = version
          },
          options: options
        )
      }
      if definition {
        print(workflow.definitionJson)
      } else {
        try Output.object(workflow, output, text: WorkflowCommand.text(workflow))
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List workflows you can see.")
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Only with this tag.") var tag: String?
    @Option(help: "Only in this category.") var category: String?
    @Option(help: "Only this visibility.") var visibility: WorkflowRecord.Visibility?
    @Option(help: "Only names starting with this.") var namePrefix: String?
    @Option(help: "Only published (true) or unpublished (false).") var published: Bool?
    @Flag(help: "Order by name instead of most recently updated.") var byName = false
    @Option(help: "At most this many workflows.") var limit: Int = 1000
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ListWorkflowsRequest()
      request.tag = tag ?? ""
      request.category = category ?? ""
      request.visibility = visibility?.proto ?? .unspecified
      request.namePrefix = namePrefix ?? ""
      if let published { request.published = published }
      request.orderBy = byName ? .nameAsc : .updateTimeDesc
      request.pageSize = Int32(min(max(limit, 1), 1000))
      let workflows = try await server.collect(limit: limit) { client, options, token in
        request.pageToken = token
        let page = try await client.workflows.listWorkflows(request, options: options)
        return (page.workflows, page.nextPageToken)
      }
      try Output.list(
        workflows,
        output,
        columns: [
          ("NAME", \.name), ("VERSION", { String($0.latestVersion) }),
          ("VISIBILITY", { Output.name($0.visibility) }),
          ("PUBLISHED", { $0.published ? "yes" : "no" }),
          ("UPDATED", { Output.time($0.updateTime) }), ("ID", \.id),
        ]
      )
    }
  }

  struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change a workflow; a new definition file makes a new version."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String
    @Option(name: [.short, .customLong("file")], help: "New definition JSON file, or - for stdin.")
    var file: String?
    @OptionGroup var fields: Fields
    @Option(help: "Why the definition changed (kept with the new version).") var message: String?
    @Option(help: "Refuse unless the workflow still has this etag.") var etag: String?
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_UpdateWorkflowRequest()
      request.workflow.id = id
      var paths: [String] = []
      if let file {
        request.workflow.definitionJson = try readDefinitionFile(file)
        paths.append("definition_json")
      }
      if let name = fields.name {
        request.workflow.name = name
        paths.append("name")
      }
      if let description = fields.description {
        request.workflow.description_p = description
        paths.append("description")
      }
      if !fields.tag.isEmpty {
        request.workflow.tags = fields.tag
        paths.append("tags")
      }
      if let category = fields.category {
        request.workflow.category = category
        paths.append("category")
      }
      if let visibility = fields.visibility {
        request.workflow.visibility = visibility.proto
        paths.append("visibility")
      }
      guard !paths.isEmpty else {
        throw ValidationError(
          "nothing to update: give -f, --name, --description, --tag, --category or --visibility"
        )
      }
      request.updateMask.paths = paths
      request.changeDescription = message ?? ""
      request.etag = etag ?? ""
      let workflow = try await server.call { client, options in
        try await client.workflows.updateWorkflow(request, options: options)
      }
      try Output.object(workflow, output, text: WorkflowCommand.text(workflow))
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Delete a workflow with its versions and executions."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String

    func run() async throws {
      _ = try await server.call { client, options in
        try await client.workflows.deleteWorkflow(.with { $0.id = id }, options: options)
      }
      print("deleted \(id)")
    }
  }

  struct Versions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List a workflow's versions, newest first."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String
    @Option(help: "At most this many versions.") var limit: Int = 1000
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ListWorkflowVersionsRequest()
      request.workflowID = id
      request.pageSize = Int32(min(max(limit, 1), 1000))
      let versions = try await server.collect(limit: limit) { client, options, token in
        request.pageToken = token
        let page = try await client.workflows.listWorkflowVersions(request, options: options)
        return (page.versions, page.nextPageToken)
      }
      try Output.list(
        versions,
        output,
        columns: [
          ("VERSION", { String($0.version) }), ("CREATED", { Output.time($0.createTime) }),
          ("BY", \.createdBy), ("CHANGE", \.changeDescription),
        ]
      )
    }
  }

  struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Make a new version whose definition equals an older one."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String
    @Option(help: "The version to go back to.") var to: Int64
    @Option(help: "Why (kept with the new version).") var message: String?
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_RollbackWorkflowRequest()
      request.workflowID = id
      request.version = to
      request.changeDescription = message ?? ""
      let workflow = try await server.call { client, options in
        try await client.workflows.rollbackWorkflow(request, options: options)
      }
      try Output.object(workflow, output, text: WorkflowCommand.text(workflow))
    }
  }

  struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mark a workflow published.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String

    func run() async throws {
      let workflow = try await server.call { client, options in
        try await client.workflows.publishWorkflow(.with { $0.id = id }, options: options)
      }
      print("\(workflow.name): published")
    }
  }

  struct Unpublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clear a workflow's published mark.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Workflow id.") var id: String

    func run() async throws {
      let workflow = try await server.call { client, options in
        try await client.workflows.unpublishWorkflow(.with { $0.id = id }, options: options)
      }
      print("\(workflow.name): not published")
    }
  }

  struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a definition file under your tenant's plan limits; stores nothing."
    )
    @OptionGroup var server: ServerAddressOptions
    @Option(name: [.short, .customLong("file")], help: "Definition JSON file, or - for stdin.")
    var file: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text
    @Flag(help: "Also warn about what is legal but almost surely a mistake.") var strict = false

    func run() async throws {
      let definition = try readDefinitionFile(file)
      let response = try await server.call { [strict] client, options in
        try await client.workflows.validateWorkflow(
          .with {
            $0.definitionJson = definition
            $0.strict = strict
          },
          options: options
        )
      }
      switch output {
      case .json: print(try response.jsonString())
      case .text:
        if response.valid {
          print("valid: \(response.nodeCount) nodes, \(response.edgeCount) edges")
        }
        for problem in response.problems { print("\(problem.field): \(problem.description_p)") }
        for warning in response.warnings {
          print("warning: \(warning.field): \(warning.description_p)")
        }
      }
      if !response.valid { throw ExitCode(1) }
    }
  }
}

/// A definition file's text; `-` reads standard input.
func readDefinitionFile(_ path: String) throws -> String {
  let data =
    path == "-"
    ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
  guard let data else { throw UsageError("cannot read \(path)") }
  return String(decoding: data, as: UTF8.self)
}
