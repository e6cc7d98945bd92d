import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// Executions across a crash of a real `thaiyyal serve` process.
@Suite("Executions end to end", .serialized)
struct ExecutionsEndToEndTests {
  /// A chain of delays: about four seconds per run, long enough that a loaded machine still kills
  /// the server while its runs are in flight.
  static let slow = """
    {"nodes": [{"id": "n", "data": {"value": 1}}, {"id": "a", "data": {"duration": "1s"}},
               {"id": "b", "data": {"duration": "1s"}}, {"id": "c", "data": {"duration": "1s"}},
               {"id": "d", "data": {"duration": "1s"}}],
     "edges": [{"source": "n", "target": "a"}, {"source": "a", "target": "b"}, {"source": "b", "target": "c"},
               {"source": "c", "target": "d"}]}
    """

  /// Creates a tenant, logs in its owner, creates the slow workflow and starts `count` runs.
  static func startRuns(
    _ socket: String,
    slug: String,
    count: Int
  ) async throws -> (
    client: ThaiyyalClient, ids: [String]
  ) {
    let client = try await signedInOwner(of: slug, socket: socket, plan: .enterprise)
    let workflow = try await client.workflows.createWorkflow(
      .with {
        $0.name = "slow"
        $0.definitionJson = slow
      }
    )
    var ids: [String] = []
    for _ in 0 ..< count {
      ids.append(
        try await client.executions.startExecution(.with { $0.workflowID = workflow.id }).id
      )
    }
    // Wait until one holds a worker, so the crash interrupts running and pending executions.
    try await waitUntilRunning(client, ids[0])
    return (client, ids)
  }

  /// Waits for an execution to be running: bounded by count, generously, for a loaded machine.
  static func waitUntilRunning(_ client: ThaiyyalClient, _ id: String) async throws {
    for _ in 0 ..< 6000 {
      let execution = try await client.executions.getExecution(.with { $0.id = id })
      if execution.status == .running { return }
      try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("execution \(id) never started")
  }

  /// Waits until none of `ids` is pending or running: at once on SQLite, where the restarted
  /// server recovers them before it serves; beside other servers on PostgreSQL, once their lease
  /// lapsed and a server took them over. Bounded by count, generously, for a loaded machine.
  static func waitUntilSettled(_ client: ThaiyyalClient, _ ids: [String]) async throws {
    for _ in 0 ..< 6000 {
      var unsettled = false
      for id in ids {
        let status = try await client.executions.getExecution(.with { $0.id = id }).status
        if status == .pending || status == .running { unsettled = true }
      }
      if !unsettled { return }
      try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("executions stayed pending or running")
  }

  /// A configuration file that re-queues interrupted executions.
  static func requeueConfig(in directory: String) throws -> [String] {
    let config = directory + "/requeue.yaml"
    try "executions:\n  requeue_interrupted: true\n".write(
      toFile: config,
      atomically: true,
      encoding: .utf8
    )
    return ["--config", config]
  }

  @Test(
    "after kill -9 no execution is stuck: each is failed as interrupted and audited, or re-run when configured",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func crashRecovery() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let socket = directory.path + "/s.sock"

    // 1. Crash, restart: every accepted execution is present and failed as interrupted.
    let crashed = try await TenancyEndToEndTests.startServer(in: directory.path)
    let (first, ids) = try await Self.startRuns(socket, slug: "acme", count: 5)
    await first.close()
    kill(crashed.processIdentifier, SIGKILL)
    await offPool { crashed.waitUntilExit() }
    let restarted = try await TenancyEndToEndTests.startServer(in: directory.path)
    let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket), tenant: "acme")
    try await Self.waitUntilSettled(reader, ids)
    let listed = try await reader.executions.listExecutions().executions
    #expect(Set(listed.map(\.id)) == Set(ids), "every accepted execution survived the crash")
    #expect(listed.allSatisfy { $0.status == .failed && $0.error == "interrupted" })
    let audit = try await reader.audit.listAuditLogs(.with { $0.action = "execution.interrupted" })
    #expect(audit.entries.count == 5)
    #expect(audit.entries.allSatisfy { $0.actorType == .system })

    // 2. Crash again with runs in flight; restart re-queueing them: they all complete.
    let (second, moreIDs) = try await Self.startRuns(socket, slug: "globex", count: 3)
    await second.close()
    await reader.close()
    kill(restarted.processIdentifier, SIGKILL)
    await offPool { restarted.waitUntilExit() }
    let server = try await TenancyEndToEndTests.startServer(
      in: directory.path,
      extra: try Self.requeueConfig(in: directory.path)
    )
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      server.terminate()
    }
    let globex = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket), tenant: "globex")
    var finished: [Thaiyyal_V1_Execution] = []
    for _ in 0 ..< 6000 {
      finished = try await globex.executions.listExecutions().executions
      if finished.count == 3 && finished.allSatisfy({ $0.status == .completed }) { break }
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(Set(finished.map(\.id)) == Set(moreIDs))
    #expect(finished.allSatisfy { $0.status == .completed }, "\(finished.map(\.status))")
    let requeued = try await globex.audit.listAuditLogs(.with { $0.action = "execution.requeued" })
    #expect(requeued.entries.count == 3)
    await globex.close()
  }

  @Test(
    "two servers on one database: when one is killed mid-run, the other takes its executions over",
    .enabled(
      if: TestBackend.current == .postgres
        && FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path)
    )
  )
  func takeoverAcrossServers() async throws {
    let first = try TemporaryDirectory()
    let second = try TemporaryDirectory()
    defer {
      first.remove()
      second.remove()
    }
    try await ServerDatabases.shared.share(second.path, with: first.path)
    let requeue = try Self.requeueConfig(in: first.path)
    let doomed = try await TenancyEndToEndTests.startServer(in: first.path, extra: requeue)
    let survivor = try await TenancyEndToEndTests.startServer(in: second.path, extra: requeue)
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      survivor.terminate()
    }
    let (client, ids) = try await Self.startRuns(first.path + "/s.sock", slug: "acme", count: 6)
    await client.close()
    kill(doomed.processIdentifier, SIGKILL)
    await offPool { doomed.waitUntilExit() }

    let reader = ThaiyyalClient(
      connectingTo: .unixDomainSocket(path: second.path + "/s.sock"),
      tenant: "acme"
    )
    try await Self.waitUntilSettled(reader, ids)
    let listed = try await reader.executions.listExecutions().executions
    #expect(Set(listed.map(\.id)) == Set(ids), "every acknowledged execution is there")
    #expect(listed.allSatisfy { $0.status == .completed }, "\(listed.map(\.status))")
    let requeued = try await reader.audit.listAuditLogs(.with { $0.action = "execution.requeued" })
    #expect(!requeued.entries.isEmpty, "the survivor took the runs over")
    #expect(requeued.entries.allSatisfy { $0.actorType == .system })
    await reader.close()
  }

  @Test(
    "a run that was running at two crashes in a row is failed as poisoned, not re-queued again",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func poisonedRun() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let socket = directory.path + "/s.sock"
    let requeue = try Self.requeueConfig(in: directory.path)

    var server = try await TenancyEndToEndTests.startServer(in: directory.path, extra: requeue)
    let (client, ids) = try await Self.startRuns(socket, slug: "acme", count: 1)
    await client.close()
    // Two crashes while the run is running: the first re-queues it, the second does not.
    for crash in 1 ... 2 {
      let crashed = server
      kill(crashed.processIdentifier, SIGKILL)
      await offPool { crashed.waitUntilExit() }
      server = try await TenancyEndToEndTests.startServer(in: directory.path, extra: requeue)
      guard crash == 1 else { break }
      let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket), tenant: "acme")
      // Re-queued (at once on SQLite; once its lease lapsed on PostgreSQL), then running again.
      for _ in 0 ..< 6000 {
        let requeued = try await reader.audit.listAuditLogs(
          .with { $0.action = "execution.requeued" }
        )
        if !requeued.entries.isEmpty { break }
        try await Task.sleep(for: .milliseconds(20))
      }
      try await Self.waitUntilRunning(reader, ids[0])
      await reader.close()
    }
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      server.terminate()
    }
    let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket), tenant: "acme")
    try await Self.waitUntilSettled(reader, ids)
    let execution = try await reader.executions.getExecution(.with { $0.id = ids[0] })
    #expect(execution.status == .failed)
    #expect(execution.error == "poisoned: the server stopped during each of its 2 attempts")
    let actions = try await reader.audit.listAuditLogs().entries.map(\.action)
    #expect(actions.filter { $0 == "execution.requeued" }.count == 1)
    #expect(actions.filter { $0 == "execution.poisoned" }.count == 1)
    await reader.close()
  }

  @Test(
    "workflow and exec commands: create from a file, validate, run with input and wait, list as JSON",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func commands() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = try await TenancyEndToEndTests.startServer(in: directory.path)
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      server.terminate()
    }
    func thaiyyal(
      _ arguments: [String],
      input: String? = nil
    ) async throws -> (
      status: Int32, output: String, error: String
    ) {
      try await BinaryTests.client(of: directory.path, arguments, input: input)
    }
    let password = "a long enough password\n"
    _ = try await thaiyyal(
      [
        "tenant", "create", "--slug", "acme", "--name", "Acme", "--owner-email", "o@acme.io",
        "--owner-username", "owner", "--password-stdin",
      ],
      input: password
    )
    // Before signing in, the operator names no tenant: importing says how to name one.
    let early = directory.path + "/early.json"
    try #"{"nodes": [{"id": "a", "data": {"value": 1}}]}"#.write(
      toFile: early,
      atomically: true,
      encoding: .utf8
    )
    let unnamed = try await thaiyyal(["import-workflows", early])
    #expect(unnamed.status == 2 && unnamed.error.contains("--tenant"), "\(unnamed.error)")
    let login = try await thaiyyal(
      ["login", "--tenant", "acme", "--user", "owner", "--password-stdin"],
      input: password
    )
    #expect(login.status == 0, "\(login.error)")
    let file = directory.path + "/times.json"
    try """
    {"nodes": [{"id": "n", "data": {"value": 10}}, {"id": "e", "data": {"expression": "input * variables.input.x"}}],
     "edges": [{"source": "n", "target": "e"}]}
    """.write(toFile: file, atomically: true, encoding: .utf8)
    let bad = directory.path + "/bad.json"
    try #"{"nodes": [{"id": "a", "type": "teleport"}]}"#.write(
      toFile: bad,
      atomically: true,
      encoding: .utf8
    )

    let validated = try await thaiyyal(["workflow", "validate", "-f", bad])
    #expect(validated.status == 1)
    #expect(validated.output.contains("nodes[a].type"))
    // Strict validation, on the server and offline: warnings, and still valid (exit 0).
    let doubtful = directory.path + "/doubtful.json"
    try #"{"nodes": [{"id": "a", "data": {"value": 1, "valeu": 2}}]}"#.write(
      toFile: doubtful,
      atomically: true,
      encoding: .utf8
    )
    let onServer = try await thaiyyal(["workflow", "validate", "--strict", "-f", doubtful])
    let offline = try await BinaryTests.run(["validate", "--strict", doubtful])
    for warned in [onServer, offline] {
      #expect(warned.status == 0, "\(warned.error)")
      #expect(warned.output.contains("warning: nodes[a].data.valeu"), "\(warned.output)")
    }
    let refused = try await thaiyyal(["workflow", "create", "-f", bad])
    #expect(refused.status == 1)
    #expect(refused.error.hasPrefix("INVALID_ARGUMENT:"))

    // Workflow files as single-tenant Thaiyyal saves them, imported one by one: the good ones
    // land, the bad one is reported with its problem, and the exit status says one was refused.
    let saved = directory.path + "/saved"
    try FileManager.default.createDirectory(atPath: saved, withIntermediateDirectories: true)
    try
      #"{"name": "Age check", "description": "is the user an adult", "nodes": [{"id": "a", "data": {"value": 25}}, {"id": "c", "type": "condition", "data": {"condition": ">=18"}}], "edges": [{"source": "a", "target": "c"}]}"#
      .write(toFile: saved + "/01-age.json", atomically: true, encoding: .utf8)
    try #"{"nodes": [{"id": "t", "data": {"text": "hi"}}], "edges": []}"#
      .write(toFile: saved + "/02-greeting.json", atomically: true, encoding: .utf8)
    try #"{"name": "Broken", "nodes": [{"id": "x", "type": "teleport"}]}"#
      .write(toFile: saved + "/03-broken.json", atomically: true, encoding: .utf8)
    let imported = try await thaiyyal(["import-workflows", saved])
    #expect(imported.status == 1, "\(imported.output)")
    #expect(imported.output.contains("imported \(saved)/01-age.json"))
    #expect(imported.output.contains("imported \(saved)/02-greeting.json"))
    #expect(imported.output.contains("refused  \(saved)/03-broken.json: INVALID_ARGUMENT"))
    #expect(imported.output.contains("no executor registered for type: teleport"))
    #expect(imported.output.contains("2 of 3 imported"))
    let names = try await thaiyyal(["workflow", "list", "--output", "json"]).output
    #expect(
      names.contains("Age check") && names.contains("02-greeting") && !names.contains("Broken")
    )

    let created = try await thaiyyal(["workflow", "create", "-f", file, "--output", "json"])
    #expect(created.status == 0, "\(created.error)")
    let workflow =
      try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any]
    let id = try #require(workflow?["id"] as? String)
    #expect(workflow?["name"] as? String == "times")

    let run = try await thaiyyal(
      ["exec", "run", id, "--input", #"{"x": 4}"#, "--wait", "--output", "json"]
    )
    #expect(run.status == 0, "\(run.error)")
    let execution = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
    #expect(execution?["status"] as? String == "COMPLETED")
    let result = (execution?["resultJson"] as? String) ?? ""
    #expect(result.contains(#""final_output":40"#), "\(result)")

    let listed = try await thaiyyal(["exec", "list", "--output", "json"])
    #expect(listed.output.split(separator: "\n").count == 1)
    let missing = try await thaiyyal(["exec", "get", "01900000-0000-7000-8000-000000000000"])
    #expect(missing.status == 1)
    #expect(missing.error.hasPrefix("NOT_FOUND:"))
  }
}

/// Creates a tenant as the operator (over the socket, as its own uid), with `change` applied to
/// its limits, and returns a client signed in as its owner.
func signedInOwner(
  of slug: String,
  socket: String,
  plan: Thaiyyal_V1_Plan,
  limits change: (inout Thaiyyal_V1_PlanLimits) -> Void = { _ in }
) async throws -> ThaiyyalClient {
  let operatorClient = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket))
  defer { Task { await operatorClient.close() } }
  _ = try await operatorClient.tenants.createTenant(
    .with {
      $0.slug = slug
      $0.name = slug
      $0.plan = plan
      $0.ownerEmail = "owner@\(slug).io"
      $0.ownerUsername = "owner"
      $0.ownerPassword = "a long enough password"
    }
  )
  var limits = Thaiyyal_V1_PlanLimits()
  change(&limits)
  if limits != Thaiyyal_V1_PlanLimits() {
    _ = try await operatorClient.tenants.updateTenant(
      .with {
        $0.tenant.slug = slug
        $0.tenant.limitOverrides = limits
        $0.updateMask.paths = ["limit_overrides"]
      }
    )
  }
  let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket))
  client.token = try await client.users.login(
    .with {
      $0.tenant = slug
      $0.login = "owner"
      $0.password = "a long enough password"
    }
  ).accessToken
  return client
}
