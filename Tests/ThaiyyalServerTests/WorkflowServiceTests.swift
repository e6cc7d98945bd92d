import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting

@testable import ThaiyyalServer

/// WorkflowService over the Unix socket with real tokens.
@Suite("Workflow service")
struct WorkflowServiceTests {
  @Test(
    "create, edit, version, roll back, publish and delete, each audited; history is never rewritten"
  )
  func lifecycle() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      let member = fixture.client(.member)
      var created = try await fixture.createWorkflow(name: "Sum")
      #expect(created.version == 1 && created.latestVersion == 1)
      #expect(created.visibility == .team)
      #expect(created.createdBy == fixture.users[.member]!.id)
      #expect(created.definitionJson == Definitions.sum)

      // A field edit keeps the version and changes the etag.
      var rename = Thaiyyal_V1_UpdateWorkflowRequest()
      rename.workflow.id = created.id
      rename.workflow.name = "Sum of two"
      rename.workflow.tags = ["math", "demo"]
      rename.updateMask.paths = ["name", "tags"]
      rename.etag = created.etag
      let renamed = try await member.workflows.updateWorkflow(rename)
      #expect(renamed.name == "Sum of two" && renamed.tags == ["math", "demo"])
      #expect(renamed.latestVersion == 1)
      #expect(renamed.etag != created.etag)
      // The old etag no longer matches.
      #expect(await failure { try await member.workflows.updateWorkflow(rename) }?.0 == .aborted)

      // A definition change makes version 2 with its description.
      var edit = Thaiyyal_V1_UpdateWorkflowRequest()
      edit.workflow.id = created.id
      edit.workflow.definitionJson = Definitions.timesInput
      edit.updateMask.paths = ["definition_json"]
      edit.expectedVersion = 1
      edit.changeDescription = "multiply"
      created = try await member.workflows.updateWorkflow(edit)
      #expect(created.latestVersion == 2 && created.definitionJson == Definitions.timesInput)
      // The same definition again changes nothing.
      edit.expectedVersion = 2
      #expect(try await member.workflows.updateWorkflow(edit).latestVersion == 2)

      let first = try await member.workflows.getWorkflow(
        .with {
          $0.id = created.id
          $0.version = 1
        }
      )
      #expect(first.version == 1 && first.latestVersion == 2)
      #expect(first.definitionJson == Definitions.sum)

      let rolledBack = try await member.workflows.rollbackWorkflow(
        .with {
          $0.workflowID = created.id
          $0.version = 1
        }
      )
      #expect(rolledBack.latestVersion == 3 && rolledBack.definitionJson == Definitions.sum)

      // Versions newest first, one per page.
      var versions: [Thaiyyal_V1_WorkflowVersion] = []
      var token = ""
      repeat {
        let page = try await member.workflows.listWorkflowVersions(
          .with {
            $0.workflowID = created.id
            $0.pageSize = 1
            $0.pageToken = token
            $0.includeDefinition = true
          }
        )
        versions += page.versions
        token = page.nextPageToken
      } while !token.isEmpty
      #expect(versions.map(\.version) == [3, 2, 1])
      #expect(
        versions.map(\.definitionJson) == [
          Definitions.sum, Definitions.timesInput, Definitions.sum,
        ]
      )
      #expect(versions[0].changeDescription == "rollback to version 1")
      #expect(versions[1].changeDescription == "multiply")
      let version2 = try await member.workflows.getWorkflowVersion(
        .with {
          $0.workflowID = created.id
          $0.version = 2
        }
      )
      #expect(version2.definitionJson == Definitions.timesInput)

      #expect(try await member.workflows.publishWorkflow(.with { $0.id = created.id }).published)
      let listed = try await member.workflows.listWorkflows(.with { $0.published = true })
      #expect(listed.workflows.map(\.id) == [created.id])
      #expect(listed.workflows[0].definitionJson.isEmpty, "definitions only when asked")
      #expect(
        !(try await member.workflows.unpublishWorkflow(.with { $0.id = created.id }).published)
      )

      _ = try await member.workflows.deleteWorkflow(.with { $0.id = created.id })
      #expect(
        await failure { try await member.workflows.getWorkflow(.with { $0.id = created.id }) }?.0
          == .notFound
      )
      let actions = try await fixture.auditActions().filter { $0.hasPrefix("workflow.") }
      #expect(
        actions == [
          "workflow.created", "workflow.updated", "workflow.updated", "workflow.rolled_back",
          "workflow.published", "workflow.unpublished", "workflow.deleted",
        ]
      )
    }
  }

  @Test("an invalid definition answers INVALID_ARGUMENT listing every problem, and stores nothing")
  func invalidDefinition() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      let bad = """
        {"nodes": [{"id": "a", "type": "teleport"}, {"id": "h", "type": "http", "data": {"url": "http://x"}}],
         "edges": [{"source": "a", "target": "ghost"}]}
        """
      do {
        _ = try await fixture.createWorkflow(definition: bad)
        Issue.record("an invalid definition was stored")
      } catch let error as RPCError {
        #expect(error.code == .invalidArgument)
        let fields = error.badRequest?.fieldViolations.map(\.field) ?? []
        #expect(fields.count >= 3, "\(fields)")
        #expect(fields.allSatisfy { $0.hasPrefix("definition_json.") })
        let text =
          error.badRequest?.fieldViolations.map(\.description_p).joined(separator: " | ") ?? ""
        #expect(text.contains("teleport"))
        #expect(text.contains("ghost"))
        #expect(text.lowercased().contains("http"))
      }
      for definition in ["", "not json", "[1, 2]", #"{"nodes": [{"id": 5}]}"#] {
        #expect(
          await failure { try await fixture.createWorkflow(definition: definition) }?.0
            == .invalidArgument
        )
      }
      #expect(await failure { try await fixture.createWorkflow(name: "") }?.0 == .invalidArgument)
      #expect(try await fixture.client(.member).workflows.listWorkflows().workflows.isEmpty)

      // ValidateWorkflow reports the same problems and stores nothing, for any role.
      let viewer = fixture.client(.viewer)
      let verdict = try await viewer.workflows.validateWorkflow(.with { $0.definitionJson = bad })
      #expect(!verdict.valid && verdict.problems.count >= 3)
      let good = try await viewer.workflows.validateWorkflow(
        .with { $0.definitionJson = Definitions.sum }
      )
      #expect(good.valid && good.nodeCount == 3 && good.edgeCount == 2 && good.problems.isEmpty)

      // Strict: warnings on request only, and a definition with warnings stays valid.
      let doubtful = """
        {"nodes": [{"id": "a", "data": {"value": 1, "colour": "red"}}, {"id": "e", "data": {"expression": "node.ghost"}}],
         "edges": [{"source": "a", "target": "e"}]}
        """
      let lenient = try await viewer.workflows.validateWorkflow(
        .with { $0.definitionJson = doubtful }
      )
      #expect(lenient.valid && lenient.warnings.isEmpty)
      let strict = try await viewer.workflows.validateWorkflow(
        .with {
          $0.definitionJson = doubtful
          $0.strict = true
        }
      )
      #expect(strict.valid && strict.problems.isEmpty)
      #expect(
        strict.warnings.map(\.field) == ["nodes[a].data.colour", "nodes[e].data"],
        "\(strict.warnings)"
      )
      #expect(try await fixture.createWorkflow(definition: doubtful).latestVersion == 1)
    }
  }

  @Test("the plan's node limit applies to definitions")
  func nodeLimit() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      try await fixture.setLimits { $0.maxNodesPerWorkflow = 5 }
      #expect(
        await failure { try await fixture.createWorkflow(definition: Definitions.numbers(6)) }?.0
          == .invalidArgument
      )
      _ = try await fixture.createWorkflow(definition: Definitions.numbers(5))
    }
  }

  @Test("private workflows exist only for their creator, admins and owners")
  func visibility() async throws {
    try await withTestServer(.unixSocket) { server in
      var fixture = try await Fixture.make(server)
      var request = Thaiyyal_V1_CreateUserRequest()
      request.email = "other@acme.example.com"
      request.username = "other"
      request.role = .member
      request.password = Fixture.password
      _ = try await fixture.operatorClient.users.createUser(
        request,
        options: CallOptions(metadata: ["x-tenant": "acme"])
      )
      let other = fixture.client(token: try await fixture.login("acme", "other"))
      let secret = try await fixture.createWorkflow(name: "secret", visibility: .private)
      let shared = try await fixture.createWorkflow(name: "shared")
      let execution = try await fixture.execute(secret.id)

      #expect(
        await failure { try await other.workflows.getWorkflow(.with { $0.id = secret.id }) }?.0
          == .notFound
      )
      #expect(
        await failure { try await other.executions.getExecution(.with { $0.id = execution.id }) }?.0
          == .notFound
      )
      var run = Thaiyyal_V1_ExecuteWorkflowRequest()
      run.workflowID = secret.id
      #expect(await failure { try await other.executions.executeWorkflow(run) }?.0 == .notFound)
      #expect(try await other.workflows.listWorkflows().workflows.map(\.id) == [shared.id])
      #expect(try await other.executions.listExecutions().executions.isEmpty)

      fixture.tokens[.viewer] = fixture.tokens[.viewer]
      for role in [Role.member, .admin, .owner] {
        let client = fixture.client(role)
        #expect(
          try await client.workflows.getWorkflow(.with { $0.id = secret.id }).name == "secret"
        )
        #expect(try await client.workflows.listWorkflows().workflows.count == 2)
        #expect(try await client.executions.listExecutions().executions.count == 1)
      }
      // Team workflows are visible to viewers.
      #expect(
        try await fixture.client(.viewer).workflows.listWorkflows().workflows.map(\.id) == [
          shared.id
        ]
      )
    }
  }

  @Test(
    "lists filter by tag, category, visibility, creator, publication and name, and page in order"
  )
  func listing() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      for (index, name) in ["delta", "alpha", "charlie", "bravo", "echo"].enumerated() {
        var request = Thaiyyal_V1_CreateWorkflowRequest()
        request.name = name
        request.definitionJson = Definitions.sum
        request.tags = index.isMultiple(of: 2) ? ["even"] : ["odd"]
        request.category = index < 2 ? "first" : "rest"
        request.visibility = index == 4 ? .public : .team
        _ = try await fixture.client(index == 3 ? .admin : .member).workflows.createWorkflow(
          request
        )
      }
      let member = fixture.client(.member)
      func names(
        _ change: (inout Thaiyyal_V1_ListWorkflowsRequest) -> Void
      ) async throws -> [String] {
        var names: [String] = []
        var request = Thaiyyal_V1_ListWorkflowsRequest()
        change(&request)
        request.pageSize = 2
        repeat {
          let page = try await member.workflows.listWorkflows(request)
          names += page.workflows.map(\.name)
          request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return names
      }
      #expect(
        try await names { $0.orderBy = .nameAsc } == ["alpha", "bravo", "charlie", "delta", "echo"]
      )
      #expect(try await names { _ in } == ["echo", "bravo", "charlie", "alpha", "delta"])
      #expect(
        try await names {
          $0.tag = "even"
          $0.orderBy = .nameAsc
        } == ["charlie", "delta", "echo"]
      )
      #expect(
        try await names {
          $0.category = "first"
          $0.orderBy = .nameAsc
        } == ["alpha", "delta"]
      )
      #expect(try await names { $0.visibility = .public } == ["echo"])
      #expect(try await names { $0.createdBy = fixture.users[.admin]!.id } == ["bravo"])
      #expect(try await names { $0.namePrefix = "ch" } == ["charlie"])
      #expect(try await names { $0.namePrefix = "%" }.isEmpty)
      #expect(try await names { $0.published = false }.count == 5)
      #expect(
        await failure {
          try await member.workflows.listWorkflows(.with { $0.pageToken = "bogus" })
        }?.0
          == .invalidArgument
      )
    }
  }

  @Test("of concurrent updates with the same etag exactly one wins; the others are ABORTED")
  func etagRace() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow()
      let outcomes = await withTaskGroup(of: RPCError.Code?.self) { group in
        for index in 0 ..< 16 {
          let client = fixture.client(.member)
          group.addTask {
            var request = Thaiyyal_V1_UpdateWorkflowRequest()
            request.workflow.id = workflow.id
            request.workflow.name = "name \(index)"
            request.workflow.definitionJson = Definitions.numbers(index + 1)
            request.updateMask.paths = ["name", "definition_json"]
            request.etag = workflow.etag
            return await failure { try await client.workflows.updateWorkflow(request) }?.0
          }
        }
        return await group.reduce(into: []) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 == nil }.count == 1)
      #expect(outcomes.filter { $0 == .aborted }.count == 15)
      let versions = try await fixture.client(.member).workflows.listWorkflowVersions(
        .with {
          $0.workflowID = workflow.id
        }
      )
      #expect(versions.versions.count == 2, "exactly one new version")
    }
  }

  @Test("the workflow quota holds under concurrent creation; storage quota refuses big definitions")
  func quotas() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      try await fixture.setLimits { $0.maxWorkflows = 3 }
      let outcomes = await withTaskGroup(of: (RPCError.Code, String?)?.self) { group in
        for index in 0 ..< 12 {
          group.addTask { await failure { try await fixture.createWorkflow(name: "w\(index)") } }
        }
        return await group.reduce(into: []) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 == nil }.count == 3)
      #expect(
        outcomes.compactMap { $0 }.allSatisfy {
          $0.0 == .resourceExhausted && $0.1 == "QUOTA_EXCEEDED"
        }
      )

      try await fixture.setLimits {
        $0.maxWorkflows = -1
        $0.maxStorageBytes = 2000
      }
      let big = Definitions.numbers(60)
      #expect(
        await failure { try await fixture.createWorkflow(definition: big) }?.1 == "QUOTA_EXCEEDED"
      )
    }
  }

  @Test("hostile definitions, inputs and fields get INVALID_ARGUMENT; the server keeps serving")
  func hostileInput() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
      let huge =
        #"{"nodes": [{"id": "a", "data": {"text": ""#
        + String(repeating: "x", count: 1_100_000) + #""}}]}"#
      let hostile = [
        deep, huge, #"{"nodes": "#, "\u{0}", #"{"nodes": [{"id": "a", "data": {"value": 1e999}}]}"#,
      ]
      for definition in hostile {
        #expect(
          await failure { try await fixture.createWorkflow(definition: definition) }?.0
            == .invalidArgument
        )
      }
      #expect(
        await failure {
          try await fixture.createWorkflow(name: String(repeating: "n", count: 201))
        }?
        .0 == .invalidArgument
      )
      var tagged = Thaiyyal_V1_CreateWorkflowRequest()
      tagged.name = "tags"
      tagged.definitionJson = Definitions.sum
      tagged.tags = (0 ..< 100).map { "t\($0)" }
      #expect(
        await failure { try await fixture.client(.member).workflows.createWorkflow(tagged) }?.0
          == .invalidArgument
      )
      let workflow = try await fixture.createWorkflow()
      let bigInput = #"{"x": ""# + String(repeating: "y", count: 1_100_000) + #""}"#
      #expect(
        await failure { try await fixture.execute(workflow.id, input: bigInput) }?.0
          == .invalidArgument
      )
      let deepInput = String(repeating: "[", count: 100_000)
      #expect(
        await failure { try await fixture.execute(workflow.id, input: deepInput) }?.0
          == .invalidArgument
      )
      #expect(try await fixture.client(.member).workflows.listWorkflows().workflows.count == 1)
      #expect(try await server.makeClient().health.check().status == .serving)
      #expect(try await server.application.store.integrityCheck() == "ok")
    }
  }
}
