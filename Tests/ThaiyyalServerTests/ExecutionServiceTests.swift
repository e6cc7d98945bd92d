import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting

@testable import ThaiyyalServer

/// ExecutionService over the Unix socket with real tokens.
@Suite("Execution service")
struct ExecutionServiceTests {
  static func oneWorker(_ configuration: inout ServerConfiguration) {
    configuration.executionWorkers = 1
  }

  @Test("ExecuteWorkflow runs and returns the Result, input, node runs and timings")
  func executeAndWait() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow(definition: Definitions.timesInput)
      let execution = try await fixture.execute(workflow.id, input: #"{"x": 4.5}"#)
      #expect(execution.status == .completed, "\(execution.error)")
      #expect(execution.workflowVersion == 1)
      #expect(execution.trigger == .api)
      #expect(execution.inputJson == #"{"x": 4.5}"#)
      #expect(execution.createdBy == fixture.users[.member]!.id)
      let result = try JSONParser().parse(execution.resultJson)
      #expect(result["final_output"] == 45)
      #expect(result["node_results"]?["n"] == 10)
      #expect(execution.nodesExecuted == 2)
      #expect(execution.nodeRuns.map(\.nodeID) == ["n", "e"])
      #expect(execution.nodeRuns.allSatisfy { $0.status == "completed" })
      #expect(execution.hasStartTime && execution.hasEndTime)
      #expect(execution.endTime.milliseconds >= execution.startTime.milliseconds)

      let stored = try await fixture.client(.viewer).executions.getExecution(
        .with {
          $0.id = execution.id
        }
      )
      #expect(stored.resultJson == execution.resultJson)
      let counted = try await fixture.client(.viewer).workflows.getWorkflow(
        .with { $0.id = workflow.id }
      )
      #expect(counted.executionCount == 1 && counted.hasLastExecutionTime)
    }
  }

  @Test("a version run again is decoded once; new limits or a new version decode again")
  func definitionsDecodedOnce() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let cache = server.application.definitions
      let workflow = try await fixture.createWorkflow(definition: Definitions.timesInput)
      for x in 1 ... 3 {
        let execution = try await fixture.execute(workflow.id, input: #"{"x": \#(x)}"#)
        #expect(execution.status == .completed)
        #expect(
          try JSONParser().parse(execution.resultJson)["final_output"] == .number(Double(x * 10))
        )
      }
      #expect(cache.count == 1)
      // A new version is another definition; a plan change validates again under new limits.
      var update = Thaiyyal_V1_UpdateWorkflowRequest()
      update.workflow.id = workflow.id
      update.workflow.definitionJson = Definitions.numbers(3)
      update.updateMask.paths = ["definition_json"]
      _ = try await fixture.client(.admin).workflows.updateWorkflow(update)
      #expect(try await fixture.execute(workflow.id).status == .completed)
      #expect(cache.count == 2)
      try await fixture.setLimits { $0.maxNodesPerWorkflow = 500 }
      #expect(try await fixture.execute(workflow.id).status == .completed)
      #expect(cache.count == 3)
    }
  }

  @Test("an input too large to hold parsed while queued is parsed again when the run starts")
  func largeInputParsedAtStart() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow(definition: Definitions.timesInput)
      let padding = String(repeating: "a", count: Executions.maxInputHeldParsed)
      let input = #"{"x": 3, "padding": "\#(padding)"}"#
      #expect(input.utf8.count > Executions.maxInputHeldParsed)
      let execution = try await fixture.execute(workflow.id, input: input)
      #expect(execution.status == .completed, "\(execution.error)")
      #expect(try JSONParser().parse(execution.resultJson)["final_output"] == 30)
    }
  }

  @Test("the definition cache keeps no definition over a quarter of it and empties when full")
  func definitionCacheBounds() {
    let cache = DefinitionCache(maxBytes: 1000, maxEntries: 3)
    let workflow = Workflow(nodes: [], edges: [])
    func key(_ version: Int64) -> DefinitionCache.Key {
      DefinitionCache.Key(
        tenantID: TenantID("t"),
        workflowID: WorkflowID("w"),
        version: version,
        limits: EngineLimits()
      )
    }
    cache.store(workflow, bytes: 251, for: key(1))
    #expect(cache.count == 0)
    for version: Int64 in 1 ... 3 { cache.store(workflow, bytes: 250, for: key(version)) }
    #expect(cache.count == 3)
    cache.store(workflow, bytes: 250, for: key(4))
    #expect(cache.count == 1)
    #expect(cache.workflow(for: key(4)) != nil && cache.workflow(for: key(1)) == nil)
  }

  @Test("a failing run is FAILED with the engine's error; bad input is INVALID_ARGUMENT")
  func failures() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow(definition: Definitions.failing)
      let execution = try await fixture.execute(workflow.id)
      #expect(execution.status == .failed)
      #expect(execution.error == "error executing node s: operation inputs must be numbers")
      #expect(execution.nodeRuns.last?.status == "failed")
      for input in ["{", "[1,", "nope"] {
        #expect(
          await failure { try await fixture.execute(workflow.id, input: input) }?.0
            == .invalidArgument
        )
      }
      #expect(await failure { try await fixture.execute(UUIDv7.generate()) }?.0 == .notFound)
      #expect(await failure { try await fixture.execute("not-an-id") }?.0 == .notFound)
      var request = Thaiyyal_V1_ExecuteWorkflowRequest()
      request.workflowID = workflow.id
      request.version = 7
      #expect(
        await failure { try await fixture.client(.member).executions.executeWorkflow(request) }?.0
          == .notFound
      )
    }
  }

  @Test("a run past the plan's time limit fails with a clear DEADLINE_EXCEEDED error")
  func timeLimit() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      try await fixture.setLimits { $0.maxExecutionSeconds = 1 }
      let workflow = try await fixture.createWorkflow(
        definition: Definitions.slow(4, milliseconds: 400)
      )
      let execution = try await fixture.execute(workflow.id)
      #expect(execution.status == .failed)
      #expect(
        execution.error.hasPrefix(
          "DEADLINE_EXCEEDED: the run took longer than the plan's limit of 1"
        )
      )
    }
  }

  @Test(
    "the daily execution quota is taken atomically: of 20 concurrent starts exactly 5 are accepted"
  )
  func dailyQuotaRace() async throws {
    try await withTestServer(.unixSocket) { server in
      let fixture = try await Fixture.make(server)
      try await fixture.setLimits { $0.maxExecutionsPerDay = 5 }
      let workflow = try await fixture.createWorkflow()
      let outcomes = await withTaskGroup(of: (RPCError.Code, String?)?.self) { group in
        for _ in 0 ..< 20 {
          group.addTask { await failure { try await fixture.start(workflow.id) } }
        }
        return await group.reduce(into: []) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 == nil }.count == 5)
      #expect(
        outcomes.compactMap { $0 }.allSatisfy {
          $0.0 == .resourceExhausted && $0.1 == "QUOTA_EXCEEDED"
        }
      )
      let listed = try await fixture.client(.member).executions.listExecutions()
      #expect(listed.executions.count == 5)
      for execution in listed.executions { _ = try await fixture.waitFinished(execution.id) }
      let counted = try await fixture.client(.member).workflows.getWorkflow(
        .with { $0.id = workflow.id }
      )
      #expect(counted.executionCount == 5, "execution_count stays exact under concurrency")
    }
  }

  @Test("a full queue answers RESOURCE_EXHAUSTED before anything is stored")
  func queueFull() async throws {
    try await withTestServer(.inProcess, configure: Self.oneWorker) { server in
      let fixture = try await Fixture.make(server)
      try await fixture.setLimits {
        $0.maxConcurrentExecutions = 1
        $0.maxQueuedExecutions = 2
      }
      // The first run holds the one worker for seconds, so the queue stays full while it fills,
      // however slow a loaded machine makes each call.
      let long = try await fixture.createWorkflow(
        name: "long",
        definition: Definitions.slow(5, milliseconds: 1000)
      )
      let workflow = try await fixture.createWorkflow(definition: Definitions.sum)
      let running = try await fixture.start(long.id)
      // Wait until it holds the worker, then fill the queue.
      for _ in 0 ..< 2000 where await server.application.executionLoad().running == 0 {
        try await Task.sleep(for: .milliseconds(5))
      }
      let queued = [try await fixture.start(workflow.id), try await fixture.start(workflow.id)]
      let refused = await failure { try await fixture.start(workflow.id) }
      #expect(refused?.0 == .resourceExhausted && refused?.1 == "QUEUE_FULL")
      #expect(try await fixture.client(.member).executions.listExecutions().executions.count == 3)
      for execution in [running] + queued {
        #expect(try await fixture.waitFinished(execution.id).status == .completed)
      }
    }
  }

  @Test("cancelling a running execution stops it at a node boundary; a queued one never starts")
  func cancellation() async throws {
    try await withTestServer(.unixSocket, configure: Self.oneWorker) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow(
        definition: Definitions.slow(20, milliseconds: 500)
      )
      let member = fixture.client(.member)
      let running = try await fixture.start(workflow.id)
      let queued = try await fixture.start(workflow.id)
      for _ in 0 ..< 400 {
        let current = try await member.executions.getExecution(.with { $0.id = running.id })
        if current.status == .running { break }
        try await Task.sleep(for: .milliseconds(5))
      }
      let cancelledQueued = try await member.executions.cancelExecution(.with { $0.id = queued.id })
      #expect(cancelledQueued.status == .cancelled)
      #expect(!cancelledQueued.hasStartTime, "a cancelled queued execution never ran")
      let cancelledRunning = try await member.executions.cancelExecution(
        .with { $0.id = running.id }
      )
      #expect(cancelledRunning.status == .cancelled)
      #expect(cancelledRunning.nodesExecuted < 21)
      #expect(
        cancelledRunning.endTime.milliseconds - cancelledRunning.startTime.milliseconds < 9_000,
        "stopped long before its 10 s of delays"
      )
      let again = await failure {
        try await member.executions.cancelExecution(.with { $0.id = running.id })
      }
      #expect(again?.0 == .failedPrecondition && again?.1 == "EXECUTION_FINISHED")
      #expect(await server.application.executionLoad() == (0, 0))
      #expect(try await fixture.auditActions().filter { $0 == "execution.cancelled" }.count == 2)
      // Both written as the member who asked, the running one by its runner with the outcome.
      let entries = try await fixture.operatorClient.audit.listAuditLogs(
        .with { $0.action = "execution.cancelled" },
        options: CallOptions(metadata: ["x-tenant": fixture.tenant.slug])
      ).entries
      #expect(Set(entries.map(\.actorID)) == [fixture.users[.member]!.id])
      #expect(Set(entries.map(\.resourceID)) == [running.id, queued.id])
    }
  }

  @Test("a run the server stops at shutdown ends failed as interrupted and audited, not cancelled")
  func shutdownInterrupts() async throws {
    try await withTestServer(.inProcess, configure: Self.oneWorker) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow(
        definition: Definitions.slow(20, milliseconds: 500)
      )
      let running = try await fixture.start(workflow.id)
      let queued = try await fixture.start(workflow.id)
      for _ in 0 ..< 400 where await server.application.executionLoad().running == 0 {
        try await Task.sleep(for: .milliseconds(5))
      }
      await server.application.stopExecutions(grace: .zero)
      let member = fixture.client(.member)
      let stopped = try await member.executions.getExecution(.with { $0.id = running.id })
      #expect(stopped.status == .failed && stopped.error == "interrupted")
      let waiting = try await member.executions.getExecution(.with { $0.id = queued.id })
      #expect(waiting.status == .pending, "queued runs stay pending for start-up recovery")
      #expect(try await fixture.auditActions().contains("execution.interrupted"))
      let refused = await failure { try await fixture.start(workflow.id) }
      #expect(refused?.0 == .unavailable)
    }
  }

  @Test("executions list newest first with filters; results only when asked")
  func listing() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      let good = try await fixture.createWorkflow(name: "good")
      let bad = try await fixture.createWorkflow(name: "bad", definition: Definitions.failing)
      var ids: [String] = []
      for workflow in [good, bad, good] { ids.append(try await fixture.execute(workflow.id).id) }
      ids.append(try await fixture.execute(good.id, as: .admin).id)
      let member = fixture.client(.member)
      let all = try await member.executions.listExecutions()
      #expect(all.executions.map(\.id) == ids.reversed())
      #expect(all.executions.allSatisfy { $0.resultJson.isEmpty && $0.nodeRuns.isEmpty })
      let withResults = try await member.executions.listExecutions(
        .with { $0.includeResults = true }
      )
      #expect(withResults.executions.allSatisfy { !$0.resultJson.isEmpty })
      #expect(
        try await member.executions.listExecutions(.with { $0.workflowID = bad.id }).executions.map(
          \.id
        )
          == [ids[1]]
      )
      #expect(
        try await member.executions.listExecutions(.with { $0.status = .failed }).executions.count
          == 1
      )
      #expect(
        try await member.executions.listExecutions(
          .with { $0.createdBy = fixture.users[.admin]!.id }
        )
        .executions.map(\.id) == [ids[3]]
      )
      #expect(
        try await member.executions.listExecutions(.with { $0.trigger = .manual }).executions
          .isEmpty
      )
      var paged: [String] = []
      var token = ""
      repeat {
        let page = try await member.executions.listExecutions(
          .with {
            $0.pageSize = 3
            $0.pageToken = token
          }
        )
        paged += page.executions.map(\.id)
        token = page.nextPageToken
      } while !token.isEmpty
      #expect(paged == ids.reversed())
      let future = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(3600))
      #expect(
        try await member.executions.listExecutions(.with { $0.startTime = future }).executions
          .isEmpty
      )
    }
  }

  @Test("another tenant's workflow and execution ids answer NOT_FOUND for every method")
  func isolation() async throws {
    try await withTestServer(.unixSocket) { server in
      let acme = try await Fixture.make(server)
      let globex = try await Fixture.make(server, slug: "globex")
      let workflow = try await acme.createWorkflow()
      let execution = try await acme.execute(workflow.id)
      let intruder = globex.client(.owner)
      let id = workflow.id
      let calls: [(String, () async throws -> Any)] = [
        ("GetWorkflow", { try await intruder.workflows.getWorkflow(.with { $0.id = id }) }),
        (
          "UpdateWorkflow",
          {
            try await intruder.workflows.updateWorkflow(
              .with {
                $0.workflow.id = id
                $0.workflow.name = "mine"
                $0.updateMask.paths = ["name"]
              }
            )
          }
        ),
        ("DeleteWorkflow", { try await intruder.workflows.deleteWorkflow(.with { $0.id = id }) }),
        (
          "ListWorkflowVersions",
          { try await intruder.workflows.listWorkflowVersions(.with { $0.workflowID = id }) }
        ),
        (
          "GetWorkflowVersion",
          {
            try await intruder.workflows.getWorkflowVersion(
              .with {
                $0.workflowID = id
                $0.version = 1
              }
            )
          }
        ),
        (
          "RollbackWorkflow",
          {
            try await intruder.workflows.rollbackWorkflow(
              .with {
                $0.workflowID = id
                $0.version = 1
              }
            )
          }
        ),
        ("PublishWorkflow", { try await intruder.workflows.publishWorkflow(.with { $0.id = id }) }),
        (
          "UnpublishWorkflow",
          { try await intruder.workflows.unpublishWorkflow(.with { $0.id = id }) }
        ),
        (
          "ExecuteWorkflow",
          { try await intruder.executions.executeWorkflow(.with { $0.workflowID = id }) }
        ),
        (
          "StartExecution",
          { try await intruder.executions.startExecution(.with { $0.workflowID = id }) }
        ),
        (
          "GetExecution",
          { try await intruder.executions.getExecution(.with { $0.id = execution.id }) }
        ),
        (
          "CancelExecution",
          { try await intruder.executions.cancelExecution(.with { $0.id = execution.id }) }
        ),
      ]
      for (name, call) in calls {
        #expect(await failure { try await call() }?.0 == .notFound, "\(name)")
      }
      #expect(try await intruder.workflows.listWorkflows().workflows.isEmpty)
      #expect(
        try await intruder.executions.listExecutions(.with { $0.workflowID = id }).executions
          .isEmpty
      )
      // Untouched.
      let still = try await acme.client(.member).workflows.getWorkflow(.with { $0.id = id })
      #expect(still.name == "flow" && still.etag == workflow.etag)
    }
  }

  @Test("one tenant's 20 queued executions delay another's single one by at most one slot")
  func fairness() async throws {
    try await withTestServer(.inProcess, configure: Self.oneWorker) { server in
      let heavy = try await Fixture.make(server, slug: "heavy")
      let light = try await Fixture.make(server, slug: "light")
      let slow = Definitions.slow(1, milliseconds: 50)
      let heavyWorkflow = try await heavy.createWorkflow(definition: slow)
      let lightWorkflow = try await light.createWorkflow(definition: slow)
      // Started together, so the backlog forms faster than one worker drains it on either backend.
      let heavyIDs = try await withThrowingTaskGroup(of: String.self) { group in
        for _ in 0 ..< 20 { group.addTask { try await heavy.start(heavyWorkflow.id).id } }
        return try await group.reduce(into: [String]()) { $0.append($1) }
      }
      let lightID = try await light.start(lightWorkflow.id).id
      let lightDone = try await light.waitFinished(lightID)
      var heavyDone: [Thaiyyal_V1_Execution] = []
      for id in heavyIDs { heavyDone.append(try await heavy.waitFinished(id)) }
      // Heavy runs whose recorded start falls after the light run was accepted and before it
      // started: one slot's worth. Two races can each add one on a busy machine: a heavy run
      // that took the worker between the light run's acceptance and its queueing, and one that
      // took it just before the acceptance but recorded its start (its own write) just after.
      // Without fairness all twenty would.
      let overtaking = heavyDone.filter {
        $0.startTime.milliseconds > lightDone.createTime.milliseconds
          && $0.startTime.milliseconds < lightDone.startTime.milliseconds
      }
      #expect(overtaking.count <= 2, "\(overtaking.count) heavy runs went before the light one")
      // And the heavy backlog was real: most of it ran after the light run.
      let after = heavyDone.filter { $0.startTime.milliseconds >= lightDone.endTime.milliseconds }
      #expect(after.count >= 10, "only \(after.count) heavy runs were still queued")
      #expect(heavyDone.allSatisfy { $0.status == .completed })
    }
  }
}

/// Retention: finished executions past the plan's retention are pruned in batches.
@Suite("Execution retention")
struct ExecutionRetentionTests {
  @Test("executions older than the retention go, in batches; newer ones and their storage stay")
  func prune() async throws {
    let clock = TestClock()
    let configure = { (configuration: inout ServerConfiguration) in
      configuration.clock = clock.wallClock
      configuration.retentionBatchSize = 2
    }
    try await withTestServer(.inProcess, configure: configure) { server in
      let fixture = try await Fixture.make(server)
      try await fixture.setLimits { $0.executionRetentionDays = 30 }
      let workflow = try await fixture.createWorkflow()
      // The operator acts in the tenant: user tokens would expire as the clock moves.
      let client = server.makeClient(tenant: "acme")
      func run() async throws -> String {
        try await client.executions.executeWorkflow(
          .with {
            $0.workflowID = workflow.id
            $0.inputJson = #"{"padding": "\#(String(repeating: "x", count: 500))"}"#
          }
        ).id
      }
      for _ in 0 ..< 5 { _ = try await run() }
      func storage() async throws -> Int64 {
        let usage = try await client.tenants.getUsage(.with { $0.tenant = "acme" })
        return usage.quotas.first { $0.name == "storage_bytes" }?.used ?? -1
      }
      let before = try await storage()
      clock.advance(by: .seconds(31 * 86_400))
      let recent = try await run()

      #expect(try await server.application.pruneExpiredExecutions() == 5)
      let left = try await client.executions.listExecutions().executions.map(\.id)
      #expect(left == [recent])
      let after = try await storage()
      #expect(after < before, "storage went from \(before) to \(after)")
      #expect(try await server.application.pruneExpiredExecutions() == 0)
      // SQLite hands freed pages back itself (PostgreSQL's autovacuum does on its own).
      if let sqlite = (server.application.store as? MeasuredPersistence)?.base as? SQLiteStore {
        let pages = try await sqlite.pageCounts()
        #expect(pages.autoVacuum == 2, "a new database uses incremental auto-vacuum")
      } else {
        #expect(TestBackend.current == .postgres)
      }
    }
  }
}
