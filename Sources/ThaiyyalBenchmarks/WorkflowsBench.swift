import ArgumentParser
import Foundation
import SwiftProtobuf
import Synchronization
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTransport

/// `thaiyyal bench workflows`: `CreateWorkflow`, `GetWorkflow` and `ExecuteWorkflow` of a 10-node
/// workflow against a fresh server process over the Unix socket, each at several concurrencies,
/// with a signed-in owner (the whole interceptor chain) and durable writes (`synchronous = full`).
/// With `--servers N` (PostgreSQL only, from `THAIYYAL_DATABASE_URL`), N server processes share
/// the database and the calls are spread over them round-robin.
struct WorkflowsBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workflows",
    abstract: "Benchmark creating, reading and executing workflows."
  )

  @Option(help: "Seconds measured per scenario.")
  var duration: Double = 5

  @Option(help: "Calls in flight, comma-separated.")
  var concurrency: String = "1,64"

  @Option(help: "Server processes sharing the PostgreSQL database in THAIYYAL_DATABASE_URL.")
  var servers: Int = 1

  /// Every server must accept the others' tokens.
  static let sharedSecret = "bench: a signing secret shared by every server"

  /// Ten nodes: two inputs, arithmetic, a condition, text, an expression and a visualization.
  static let tenNodes = """
    {"nodes": [{"id": "a", "data": {"value": 6}}, {"id": "b", "data": {"value": 7}},
               {"id": "m", "data": {"op": "multiply"}}, {"id": "c", "data": {"condition": "input > 40", "true_path": "t"}},
               {"id": "x", "data": {"expression": "input.value + 1"}}, {"id": "t", "data": {"text": "answer"}},
               {"id": "u", "data": {"text_op": "uppercase"}}, {"id": "e", "data": {"expression": "input * 2"}},
               {"id": "j", "data": {"join_strategy": "all"}}, {"id": "v", "data": {"mode": "text"}}],
     "edges": [{"source": "a", "target": "m"}, {"source": "b", "target": "m"}, {"source": "m", "target": "c"},
               {"source": "c", "target": "x", "sourceHandle": "true"}, {"source": "t", "target": "u"},
               {"source": "m", "target": "e"}, {"source": "x", "target": "j"}, {"source": "u", "target": "j"},
               {"source": "e", "target": "j"}, {"source": "j", "target": "v"}]}
    """

  func run() async throws {
    let levels = try loadLevels(concurrency, duration: duration)
    guard (1 ... 8).contains(servers) else { throw ValidationError("--servers must be 1 to 8") }
    let shared = ProcessInfo.processInfo.environment["THAIYYAL_DATABASE_URL"] ?? ""
    guard servers == 1 || !shared.isEmpty else {
      throw ValidationError("--servers above 1 needs THAIYYAL_DATABASE_URL (PostgreSQL)")
    }
    let configuration = "security:\n  jwt_secret: \"\(Self.sharedSecret)\"\n"
    var fleet: [BenchServer] = []
    defer { for server in fleet { server.stop() } }
    for _ in 0 ..< servers { fleet.append(try BenchServer.start(configuration: configuration)) }
    let server = fleet[0]
    #if DEBUG
    print("warning: this is a debug build; build with -c release for meaningful figures")
    #endif
    let (client, first) = try await makeBenchTenant(server)
    var others: [ThaiyyalClient] = []
    for other in fleet.dropFirst() { others.append(try await signInBenchOwner(other)) }
    let owners = [first] + others
    let spread = RoundRobin(owners)
    defer {
      Task {
        await client.close()
        for owner in owners { await owner.close() }
      }
    }
    let owner = first
    var update = Thaiyyal_V1_UpdateTenantRequest()
    update.tenant.slug = "bench"
    update.tenant.limitOverrides.rateLimitPerSecond = -1
    update.tenant.limitOverrides.maxQueuedExecutions = -1
    update.tenant.limitOverrides.maxConcurrentExecutions = -1
    update.updateMask.paths = ["limit_overrides"]
    _ = try await client.tenants.updateTenant(update)

    var create = Thaiyyal_V1_CreateWorkflowRequest()
    create.name = "bench"
    create.definitionJson = Self.tenNodes
    let workflow = try await owner.workflows.createWorkflow(create)
    let check = try await owner.executions.executeWorkflow(.with { $0.workflowID = workflow.id })
    guard check.status == .completed else {
      throw BenchError("the bench workflow did not complete: \(check.error)")
    }

    print(
      "server pids \(fleet.map { String($0.pid) }.joined(separator: ",")), \(duration) s per scenario, 10-node workflow"
    )
    print(
      "scenario                   conc   requests     req/s    p50 µs    p99 µs  server CPU µs/req"
    )
    let request = create
    for level in levels {
      let createCall: @Sendable () async throws -> Void = {
        _ = try await spread.next().workflows.createWorkflow(request)
      }
      try await reportScenario(width: 25, "CreateWorkflow", level, fleet) {
        try await drive(concurrency: level, for: duration, createCall)
      }
      let getCall: @Sendable () async throws -> Void = {
        _ = try await spread.next().workflows.getWorkflow(.with { $0.id = workflow.id })
      }
      try await reportScenario(width: 25, "GetWorkflow", level, fleet) {
        try await drive(concurrency: level, for: duration, getCall)
      }
      let executeCall: @Sendable () async throws -> Void = {
        let execution = try await spread.next().executions.executeWorkflow(
          .with {
            $0.workflowID = workflow.id
          }
        )
        guard execution.status == .completed else { throw BenchError(execution.error) }
      }
      try await reportScenario(width: 25, "ExecuteWorkflow", level, fleet) {
        try await drive(concurrency: level, for: duration, executeCall)
      }
    }
  }
}

/// Hands out clients in turn, one call each.
final class RoundRobin: Sendable {
  private let clients: [ThaiyyalClient]
  private let counter = Atomic<Int>(0)

  init(_ clients: [ThaiyyalClient]) { self.clients = clients }

  func next() -> ThaiyyalClient {
    clients[counter.add(1, ordering: .relaxed).oldValue % clients.count]
  }
}
