import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

/// What one hostile tenant can do to everyone else (issue 11): each test has the hostile tenant do
/// its worst, and checks that the server stays up, that another tenant's calls stay fast, and that
/// the hostile work fails by its own limit.
///
/// Latency bounds are far from both the normal case (a few milliseconds) and the failure they
/// guard against (calls stalled for tens of seconds), so a busy machine does not make them flaky.
@Suite("Hostile tenant")
struct HostileTenantTests {
  /// The p50 another tenant's calls must stay under while the hostile tenant does its worst.
  static let latencyBound: Duration = .seconds(1)

  /// Burns CPU for minutes unless stopped: 9,999 items, each scanning a mebibyte of text.
  static let cpuBurner = """
    {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
               {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},
               {"id": "n", "type": "range", "data": {"start": 0, "end": 9998}},
               {"id": "f", "type": "filter", "data": {"condition": "node.r.includes('b')"}}],
     "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"},
               {"source": "n", "target": "f"}]}
    """

  /// The default on two cores: the hostile tenant's two runs take half the workers.
  static func fourWorkers(_ configuration: inout ServerConfiguration) {
    configuration.executionWorkers = 4
  }

  /// The median time of `count` calls of `call`.
  static func medianLatency(
    _ count: Int = 21,
    _ call: () async throws -> Void
  ) async throws -> Duration {
    var times: [Duration] = []
    for _ in 0 ..< count {
      let start = ContinuousClock.now
      try await call()
      times.append(.now - start)
    }
    return times.sorted()[count / 2]
  }

  /// Polls until every execution is running (bounded by count, not time).
  static func waitRunning(_ fixture: Fixture, _ ids: [String]) async throws {
    for _ in 0 ..< 2000 {
      var running = 0
      for id in ids {
        let execution = try await fixture.client(.member).executions.getExecution(
          .with { $0.id = id }
        )
        if execution.status == .running { running += 1 }
      }
      if running == ids.count { return }
      try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("executions did not start")
  }

  @Test("CPU-bound runs at the plan's concurrency leave Health and other tenants' calls fast")
  func cpuBoundRunsDoNotStarveCalls() async throws {
    try await withTestServer(.unixSocket, configure: Self.fourWorkers) { server in
      let hostile = try await Fixture.make(server, slug: "hostile", plan: .free)
      try await hostile.setLimits {
        $0.maxExecutionSeconds = 2
        $0.rateLimitPerSecond = 1000  // the test polls; the plan's rate is not under test here
        $0.rateLimitBurst = 1000
      }
      let victim = try await Fixture.make(server, slug: "victim")
      let victimWorkflow = try await victim.createWorkflow()

      let burner = try await hostile.createWorkflow(definition: Self.cpuBurner)
      let runs = [try await hostile.start(burner.id), try await hostile.start(burner.id)]
      try await Self.waitRunning(hostile, runs.map(\.id))

      let health = server.makeClient()
      let healthLatency = try await Self.medianLatency {
        _ = try await health.health.check(.init())
      }
      let victimClient = victim.client(.viewer)
      let readLatency = try await Self.medianLatency {
        _ = try await victimClient.workflows.getWorkflow(.with { $0.id = victimWorkflow.id })
      }
      #expect(healthLatency < Self.latencyBound, "Health p50 \(healthLatency)")
      #expect(readLatency < Self.latencyBound, "GetWorkflow p50 \(readLatency)")

      // Each run ends by its own limit, from inside the filter's loop, not minutes later.
      for run in runs {
        let finished = try await hostile.waitFinished(run.id)
        #expect(finished.status == .failed)
        #expect(finished.error.hasPrefix("DEADLINE_EXCEEDED"), "\(finished.error)")
        let took = finished.endTime.milliseconds - finished.startTime.milliseconds
        #expect(took < 2000 + 5000, "ran \(took) ms against a 2 s limit")
      }
    }
  }

  @Test("a tenant whose plan allows more holds at most half the workers")
  func tenantHoldsAtMostHalfTheWorkers() async throws {
    try await withTestServer(.unixSocket, configure: Self.fourWorkers) { server in
      let hostile = try await Fixture.make(server, slug: "hostile")  // enterprise: 32 at once
      try await hostile.setLimits { $0.maxExecutionSeconds = 600 }
      let victim = try await Fixture.make(server, slug: "victim")
      let victimWorkflow = try await victim.createWorkflow()
      let burner = try await hostile.createWorkflow(definition: Self.cpuBurner)
      var runs: [String] = []
      for _ in 0 ..< 4 { runs.append(try await hostile.start(burner.id).id) }
      try await Self.waitRunning(hostile, Array(runs.prefix(2)))
      // Two workers stay free: the victim's run does not wait for a ten-minute burner.
      let execution = try await victim.client(.member).executions.executeWorkflow(
        .with { $0.workflowID = victimWorkflow.id },
        options: CallOptions(timeout: .seconds(60))
      )
      #expect(execution.status == .completed)
      var statuses: [Thaiyyal_V1_ExecutionStatus] = []
      for id in runs {
        statuses.append(
          try await hostile.client(.member).executions.getExecution(.with { $0.id = id }).status
        )
      }
      for id in runs {
        _ = try? await hostile.client(.member).executions.cancelExecution(.with { $0.id = id })
      }
      #expect(statuses.filter { $0 == .running }.count == 2, "\(statuses)")
    }
  }

  @Test("cancelling a CPU-bound run stops it inside its node")
  func cancelStopsCPUBoundRun() async throws {
    try await withTestServer(.unixSocket) { server in
      let hostile = try await Fixture.make(server, slug: "hostile", plan: .free)
      try await hostile.setLimits {
        $0.maxExecutionSeconds = 600
        $0.rateLimitPerSecond = 1000
        $0.rateLimitBurst = 1000
      }
      let burner = try await hostile.createWorkflow(definition: Self.cpuBurner)
      let run = try await hostile.start(burner.id)
      try await Self.waitRunning(hostile, [run.id])
      _ = try await hostile.client(.member).executions.cancelExecution(.with { $0.id = run.id })
      let finished = try await hostile.waitFinished(run.id)
      #expect(finished.status == .cancelled)
    }
  }

  /// Makes a text of `bytes` bytes, then three copies of it upper-cased: a result about four
  /// times `bytes`.
  static func largeResult(bytes: Int) -> String {
    """
    {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
               {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": \(bytes)}},
               {"id": "u1", "type": "text_operation", "data": {"text_op": "uppercase"}},
               {"id": "u2", "type": "text_operation", "data": {"text_op": "uppercase"}},
               {"id": "u3", "type": "text_operation", "data": {"text_op": "uppercase"}}],
     "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "u1"},
               {"source": "r", "target": "u2"}, {"source": "r", "target": "u3"}]}
    """
  }

  /// The tenant's storage quota, as the operator reads it.
  static func storage(_ fixture: Fixture) async throws -> Thaiyyal_V1_QuotaUsage? {
    let usage = try await fixture.operatorClient.tenants.getUsage(
      .with { $0.tenant = fixture.tenant.slug }
    )
    return usage.quotas.first { $0.name == "storage_bytes" }
  }

  /// A free-plan tenant whose rate limit does not get in the way of the test's own calls.
  static func freeTenant(_ server: TestServer) async throws -> Fixture {
    let fixture = try await Fixture.make(server, slug: "hostile", plan: .free)
    try await fixture.setLimits {
      $0.rateLimitPerSecond = 1000
      $0.rateLimitBurst = 1000
    }
    return fixture
  }

  @Test("a result over the plan's limit is stored cut, with a marker, and lists page under 4 MiB")
  func resultsAreCapped() async throws {
    try await withTestServer(.unixSocket) { server in
      let hostile = try await Self.freeTenant(server)
      let workflow = try await hostile.createWorkflow(
        definition: Self.largeResult(bytes: 600_000)
      )
      var ids: [String] = []
      for _ in 0 ..< 6 {
        let execution = try await hostile.execute(workflow.id)
        #expect(execution.status == .completed, "\(execution.error)")
        #expect(execution.resultJson.utf8.count <= 1 << 20)
        let result = try JSONParser().parse(execution.resultJson)
        #expect(result["node_results"] == .object([:]))
        #expect(result["final_output"]?.stringValue?.utf8.count == 600_000)
        #expect(
          result["truncated"]?["reason"]?.stringValue?.contains("node_results omitted") == true
        )
        ids.append(execution.id)
      }
      // Six results of about 600 kB each do not fit in one message: the list pages.
      var listed: [String] = []
      var token = ""
      var pages = 0
      repeat {
        let page = try await hostile.client(.member).executions.listExecutions(
          .with {
            $0.includeResults = true
            $0.pageSize = 100
            $0.pageToken = token
          }
        )
        listed += page.executions.map(\.id)
        token = page.nextPageToken
        pages += 1
      } while !token.isEmpty && pages < 20
      #expect(Set(listed) == Set(ids))
      #expect(pages > 1)
    }
  }

  @Test("a result the storage quota has no room for is replaced by a marker; the run is kept")
  func resultsRespectStorageQuota() async throws {
    try await withTestServer(.unixSocket) { server in
      let hostile = try await Self.freeTenant(server)
      let workflow = try await hostile.createWorkflow(
        definition: Self.largeResult(bytes: 100_000)
      )
      let used = try await Self.storage(hostile)?.used ?? 0
      try await hostile.setLimits { $0.maxStorageBytes = used + 50_000 }
      let execution = try await hostile.execute(workflow.id)
      #expect(execution.status == .completed)
      #expect(
        execution.resultJson.contains("storage quota is full"),
        "\(execution.resultJson.prefix(200))"
      )
      let storage = try await Self.storage(hostile)
      #expect(storage.map { $0.used <= $0.limit } == true, "\(String(describing: storage))")
    }
  }
}

/// Finding 9: other local users must not read the database.
@Suite("Data directory")
struct DataDirectoryTests {
  static func mode(_ path: String) throws -> Int {
    try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1
  }

  @Test("an existing data directory others can read is made private; database files are 0600")
  func privateFiles() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let data = directory.path + "/data"
    try FileManager.default.createDirectory(
      atPath: data,
      withIntermediateDirectories: false,
      attributes: [.posixPermissions: 0o755]
    )
    #expect(try Self.mode(data) == 0o755)
    try await withTestServer(
      .inProcess,
      configure: { $0.dataDirectory = data },
      { server in
        _ = try await Fixture.make(server)  // writes, so the -wal and -shm files exist
        #expect(try Self.mode(data) == 0o700)
        // The database files exist on SQLite only; PostgreSQL keeps its own.
        let files =
          TestBackend.current == .sqlite
          ? ["thaiyyal.db", "thaiyyal.db-wal", "thaiyyal.db-shm"] : []
        for file in files {
          #expect(try Self.mode(data + "/" + file) == 0o600, "\(file)")
        }
      }
    )
  }
}
