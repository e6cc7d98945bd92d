import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
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
  static let latencyBound: Duration = .milliseconds(250)

  /// Burns CPU for minutes unless stopped: 9,999 items, each scanning a mebibyte of text.
  static let cpuBurner = """
    {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
               {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},
               {"id": "n", "type": "range", "data": {"start": 0, "end": 9998}},
               {"id": "f", "type": "filter", "data": {"condition": "node.r.includes('b')"}}],
     "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"},
               {"source": "n", "target": "f"}]}
    """

  static func twoWorkers(_ configuration: inout ServerConfiguration) {
    configuration.executionWorkers = 2
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
    try await withTestServer(.unixSocket, configure: Self.twoWorkers) { server in
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
}
