import Foundation
import Logging
import SwiftProtobuf
import Synchronization
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting

@testable import ThaiyyalServer

/// Several servers on one PostgreSQL database, as stateless peers (run by the PostgreSQL pass of
/// the test command).
@Suite("Several servers on one database", .enabled(if: TestBackend.current == .postgres))
struct MultiServerTests {
  static let secret = "a shared signing secret for every server on the database"

  /// `count` full servers on one fresh database, sharing the token signing secret; each runs
  /// `workers` executions at once.
  static func withServers<T: Sendable>(
    _ count: Int,
    workers: Int = 4,
    _ body: ([TestServer], TestPostgresDatabase) async throws -> T
  ) async throws -> T {
    let database = try await TestPostgresDatabase.make()
    defer { database.drop() }
    func start(_ started: [TestServer]) async throws -> T {
      if started.count == count { return try await body(started, database) }
      let configure: (inout ServerConfiguration) -> Void = {
        $0.databaseURL = database.serverURL
        $0.jwtSecret = secret
        $0.executionWorkers = workers
      }
      return try await withTestServer(.inProcess, configure: configure) { server in
        try await start(started + [server])
      }
    }
    return try await start([])
  }

  /// Calls `attempt` until it throws `code`, at most `limit` times with a short pause between; the
  /// time taken is returned. A refusal that never comes fails the test.
  static func untilRefused(
    _ code: RPCError.Code,
    limit: Int = 1200,
    _ attempt: () async throws -> Void
  ) async throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0 ..< limit {
      do {
        try await attempt()
      } catch let error as RPCError where error.code == code {
        return clock.now - start
      }
      try await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("never refused with \(code)")
    return clock.now - start
  }

  @Test("each server trusts what it cached of tenants and users for a second at most")
  func cacheLifetime() throws {
    var configuration = ServerConfiguration()
    #expect(configuration.directoryLifetime == .seconds(30), "alone on SQLite")
    configuration.databaseURL = try PostgresURL(parsing: "postgres://app@/db?host=/tmp")
    #expect(configuration.directoryLifetime == .seconds(1))
  }

  @Test("a tenant suspended through one server is read-only on the others within about a second")
  func suspensionEverywhere() async throws {
    try await Self.withServers(3) { servers, _ in
      let fixture = try await Fixture.make(servers[0])
      try await fixture.setLimits { $0.rateLimitPerSecond = 100_000 }
      let token = fixture.tokens[.member]!
      func create(on client: ThaiyyalClient) async throws {
        var request = Thaiyyal_V1_CreateWorkflowRequest()
        request.name = "flow"
        request.definitionJson = Definitions.sum
        _ = try await client.workflows.createWorkflow(request)
      }
      for server in servers[1...] {
        // Each server has the tenant cached as active.
        try await create(on: server.makeClient(token: token, remote: true))
      }
      var suspend = Thaiyyal_V1_SuspendTenantRequest()
      suspend.tenant = "acme"
      suspend.reason = "unpaid"
      _ = try await servers[0].makeClient().tenants.suspendTenant(suspend)
      for server in servers[1...] {
        let client = server.makeClient(token: token, remote: true)
        let took = try await Self.untilRefused(.failedPrecondition) {
          try await create(on: client)
        }
        // The cache lives a second; a busy machine adds to that. A cache that did not expire
        // would never refuse, which untilRefused reports.
        #expect(took < .seconds(30), "took \(took)")
      }
    }
  }

  @Test("a logout on one server revokes the token on every server")
  func revocationEverywhere() async throws {
    try await Self.withServers(2) { servers, _ in
      let fixture = try await Fixture.make(servers[0])
      let token = fixture.tokens[.member]!
      let other = servers[1].makeClient(token: token, remote: true)
      _ = try await other.users.whoAmI()
      _ = try await fixture.client(.member).users.logout()
      let took = try await Self.untilRefused(.unauthenticated) {
        _ = try await other.users.whoAmI()
      }
      #expect(took < .seconds(30), "took \(took)")
    }
  }

  @Test("a workflow quota is never exceeded by concurrent creates spread over servers")
  func quotaAcrossServers() async throws {
    try await Self.withServers(3) { servers, _ in
      let fixture = try await Fixture.make(servers[0])
      try await fixture.setLimits {
        $0.maxWorkflows = 10
        $0.rateLimitPerSecond = 100_000
        $0.rateLimitBurst = 100_000
      }
      let token = fixture.tokens[.member]!
      let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
        for index in 0 ..< 30 {
          let client = servers[index % servers.count].makeClient(token: token, remote: true)
          group.addTask {
            var request = Thaiyyal_V1_CreateWorkflowRequest()
            request.name = "flow \(index)"
            request.definitionJson = Definitions.sum
            do {
              _ = try await client.workflows.createWorkflow(request)
              return true
            } catch let error as RPCError where error.code == .resourceExhausted {
              return false
            }
          }
        }
        return try await group.reduce(into: [Bool]()) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 }.count == 10)
      var list = Thaiyyal_V1_ListWorkflowsRequest()
      list.pageSize = 100
      let stored = try await fixture.client(.member).workflows.listWorkflows(list).workflows
      #expect(stored.count == 10)
    }
  }

  @Test("rate limits are per server: N servers admit up to N times a tenant's burst")
  func rateLimitsPerServer() async throws {
    try await Self.withServers(2) { servers, _ in
      let fixture = try await Fixture.make(servers[0])
      try await fixture.setLimits {
        $0.rateLimitPerSecond = 1
        $0.rateLimitBurst = 5
      }
      let token = fixture.tokens[.member]!
      var admitted: [Int] = []
      for server in servers {
        let client = server.makeClient(token: token, remote: true)
        var count = 0
        for _ in 0 ..< 20 {
          do {
            _ = try await client.users.whoAmI()
            count += 1
          } catch let error as RPCError where error.code == .resourceExhausted {
            continue
          }
        }
        admitted.append(count)
      }
      // Each server admits its own burst (plus what refills while the test runs, one a second).
      for count in admitted { #expect((5 ... 8).contains(count), "\(admitted)") }
      #expect(admitted.reduce(0, +) > 8, "the limit is not shared: \(admitted)")
    }
  }

  @Test("a tenant's limit of running executions holds across servers")
  func concurrencyAcrossServers() async throws {
    try await Self.withServers(2) { servers, _ in
      let fixture = try await Fixture.make(servers[0])
      try await fixture.setLimits {
        $0.maxConcurrentExecutions = 1
        $0.rateLimitPerSecond = 100_000
      }
      let workflow = try await fixture.createWorkflow(
        definition: Definitions.slow(1, milliseconds: 150)
      )
      let token = fixture.tokens[.member]!
      var ids: [String] = []
      for index in 0 ..< 6 {
        let client = servers[index % 2].makeClient(token: token, remote: true)
        var request = Thaiyyal_V1_StartExecutionRequest()
        request.workflowID = workflow.id
        ids.append(try await client.executions.startExecution(request).id)
      }
      // Each server alone would run one at a time; together they must too: once every run has
      // finished, no two of them ran at overlapping times (each started after the one before it
      // ended). Read from the runs' own times, not by watching, which a loaded machine can miss.
      var runs: [Thaiyyal_V1_Execution] = []
      for id in ids { runs.append(try await fixture.waitFinished(id)) }
      #expect(runs.allSatisfy { $0.status == .completed })
      func milliseconds(_ time: Google_Protobuf_Timestamp) -> Int64 {
        time.seconds * 1000 + Int64(time.nanos / 1_000_000)
      }
      let spans = runs.map { (milliseconds($0.startTime), milliseconds($0.endTime)) }.sorted {
        $0.0 < $1.0
      }
      for (earlier, later) in zip(spans, spans.dropFirst()) {
        #expect(later.0 >= earlier.1, "runs overlapped: \(spans)")
      }
    }
  }

  /// Limits that let one tenant queue and run as much as it likes.
  static func unlimited(_ limits: inout Thaiyyal_V1_PlanLimits) {
    limits.rateLimitPerSecond = 100_000
    limits.rateLimitBurst = 100_000
    limits.maxQueuedExecutions = -1
    limits.maxExecutionsPerDay = -1
    limits.maxConcurrentExecutions = -1
  }

  @Test("an idle server takes over runs waiting in a busy server's queue; callers get the outcome")
  func workSharing() async throws {
    try await Self.withServers(2, workers: 2) { servers, database in
      let fixture = try await Fixture.make(servers[0])
      try await fixture.setLimits(Self.unlimited)
      let workflow = try await fixture.createWorkflow(
        definition: Definitions.slow(1, milliseconds: 250)
      )
      // 24 runs called at once on the first server, which runs one of the tenant's at a time
      // (half its two workers): alone it needs 6 s, longer than an idle server's longest pause
      // between looks (2 s), so a backlog waits there for the other to find.
      let runs = try await withThrowingTaskGroup(of: Thaiyyal_V1_Execution.self) { group in
        for _ in 0 ..< 24 { group.addTask { try await fixture.execute(workflow.id) } }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      #expect(runs.count == 24)
      #expect(runs.allSatisfy { $0.status == .completed }, "\(runs.map(\.status))")
      let summary = try database.psql(
        "SELECT count(DISTINCT claimed_by), min(attempts), max(attempts) FROM workflow_executions"
      ).trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(summary == "2|1|1", "servers that ran them, fewest and most starts")
    }
  }

  @Test(
    "taken-over runs are fair: 10,000 waiting runs of one tenant delay another's single run by about one run per worker"
  )
  func fairTakeover() async throws {
    let workers = 2
    try await Self.withServers(2, workers: workers) { servers, database in
      let busy = try await Fixture.make(servers[0], slug: "busy")
      let quiet = try await Fixture.make(servers[0], slug: "quiet")
      try await busy.setLimits(Self.unlimited)
      let busyFlow = try await busy.createWorkflow()
      let quietFlow = try await quiet.createWorkflow()
      // Both tenants' runs wait in the queue of a server that is alive (it has a session on the
      // database, and its lease holds) and busy: the busy tenant's 10,000 oldest, the quiet
      // tenant's one last. Only the two test servers, taking them over, can run them. All have
      // waited a minute: left to its default (the insert's clock), the quiet run's wait would
      // begin after the 10,000 rows were written, and on a loaded machine the servers would take
      // several rounds of busy runs before the quiet one had waited long enough to be taken.
      var elsewhere = PostgresStoreConfiguration(url: database.serverURL)
      elsewhere.serverID = "a-busy-server"
      let busyServer = PostgresStore(configuration: elsewhere, logger: Logger(label: "busy"))
      defer { try? busyServer.close() }
      #expect(try await busyServer.integrityCheck() == "ok")
      let now = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
      func waiting(_ tenant: String, _ workflow: String, _ prefix: String, count: Int) -> String {
        """
        INSERT INTO workflow_executions (tenant_id, id, workflow_id, workflow_version, status,
          trigger, created_by, created_at, queued_at, claimed_by, lease_until)
        SELECT '\(tenant)', '\(prefix)' || lpad(i::text, 12, '0'), '\(workflow)', 1, 'pending',
          'api', 'backlog', \(now) - 60000 + i, \(now) - 60000, 'a-busy-server', \(now) + 3600000
        FROM generate_series(1, \(count)) AS i;
        """
      }
      try database.psql(
        waiting(busy.tenant.id, busyFlow.id, "00000000-0000-7000-8000-", count: 10_000)
          + waiting(quiet.tenant.id, quietFlow.id, "00000000-0000-7000-9000-", count: 1)
      )
      let quietRun = "00000000-0000-7000-9000-000000000001"
      let finished = try await quiet.waitFinished(quietRun)
      #expect(finished.status == .completed)
      let startedBefore = try database.psql(
        """
        SELECT count(*) FROM workflow_executions
        WHERE tenant_id = '\(busy.tenant.id)' AND started_at < (
          SELECT started_at FROM workflow_executions WHERE id = '\(quietRun)'
        )
        """
      ).trimmingCharacters(in: .whitespacesAndNewlines)
      // In first-come order the quiet run would wait for all 10,000.
      let bound = servers.count * workers
      #expect((Int(startedBefore) ?? .max) <= bound, "\(startedBefore) busy runs started first")
    }
  }

  @Test("a server that stops gracefully hands its waiting runs to the others, which run them")
  func handOverOnStop() async throws {
    let database = try await TestPostgresDatabase.make()
    defer { database.drop() }
    let configure: (inout ServerConfiguration) -> Void = {
      $0.databaseURL = database.serverURL
      $0.jwtSecret = Self.secret
      $0.executionWorkers = 2
    }
    // On the first server a minute-long run holds the tenant's one slot (half its two workers),
    // so the seven quick runs after it wait; the server stops with them waiting. Interrupted runs
    // are not re-queued (the default): a run left to lease recovery would fail as interrupted.
    let (fixture, quick) = try await withTestServer(.inProcess, configure: configure) { first in
      let fixture = try await Fixture.make(first)
      try await fixture.setLimits(Self.unlimited)
      let long = try await fixture.createWorkflow(
        name: "long",
        definition: Definitions.slow(60, milliseconds: 1000)
      )
      let short = try await fixture.createWorkflow(name: "short", definition: Definitions.sum)
      _ = try await fixture.start(long.id)
      var quick: [String] = []
      for _ in 0 ..< 7 { quick.append(try await fixture.start(short.id).id) }
      return (fixture, quick)
    }
    let handed = try database.psql(
      "SELECT id FROM workflow_executions WHERE status = 'pending' AND claimed_by IS NULL"
    ).split(separator: "\n").map(String.init)
    #expect(Set(handed) == Set(quick), "every waiting run was handed over, and only those")
    try await withTestServer(.inProcess, configure: configure) { second in
      let client = second.makeClient(token: fixture.tokens[.member], remote: true)
      for id in quick {
        var execution = try await client.executions.getExecution(.with { $0.id = id })
        for _ in 0 ..< 3000 where execution.status == .pending || execution.status == .running {
          try await Task.sleep(for: .milliseconds(10))
          execution = try await client.executions.getExecution(.with { $0.id = id })
        }
        #expect(execution.status == .completed, "\(id): \(execution.status) \(execution.error)")
      }
    }
  }

  @Test("1,000 executions from 5 tenants spread over 3 servers each run exactly once")
  func exactlyOnce() async throws {
    let database = try await TestPostgresDatabase.make()
    defer { database.drop() }
    let configure: (inout ServerConfiguration) -> Void = {
      $0.databaseURL = database.serverURL
      $0.jwtSecret = Self.secret
    }
    try await withTestServer(.inProcess, configure: configure) { first in
      try await withTestServer(.inProcess, configure: configure) { second in
        try await withTestServer(.inProcess, configure: configure) { third in
          let servers = [first, second, third]
          var tenants: [(Fixture, String)] = []
          for index in 0 ..< 5 {
            let fixture = try await Fixture.make(first, slug: "tenant-\(index)")
            try await fixture.setLimits {
              $0.rateLimitPerSecond = 100_000
              $0.rateLimitBurst = 100_000
              $0.maxQueuedExecutions = -1
              $0.maxExecutionsPerDay = -1
            }
            tenants.append((fixture, try await fixture.createWorkflow().id))
          }
          // 200 runs per tenant, accepted round-robin by the three servers, 25 at a time.
          let accepted = try await withThrowingTaskGroup(of: String.self) { group in
            var ids: [String] = []
            for index in 0 ..< 1000 {
              if index >= 25, let id = try await group.next() { ids.append(id) }
              let (fixture, workflowID) = tenants[index % 5]
              let token = fixture.tokens[.member]!
              let client = servers[index % 3].makeClient(token: token, remote: true)
              group.addTask {
                var request = Thaiyyal_V1_StartExecutionRequest()
                request.workflowID = workflowID
                return try await client.executions.startExecution(request).id
              }
            }
            for try await id in group { ids.append(id) }
            return ids
          }
          #expect(Set(accepted).count == 1000)
          // Every run finishes; counted in the database itself, across tenants.
          var finished = ""
          for _ in 0 ..< 6000 {
            finished = try database.psql(
              "SELECT count(*) FROM workflow_executions WHERE status = 'completed'"
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            if finished == "1000" { break }
            try await Task.sleep(for: .milliseconds(50))
          }
          #expect(finished == "1000")
          let summary = try database.psql(
            "SELECT count(*), min(attempts), max(attempts), count(DISTINCT tenant_id) FROM workflow_executions"
          ).trimmingCharacters(in: .whitespacesAndNewlines)
          #expect(summary == "1000|1|1|5", "executions, fewest and most starts, tenants")
        }
      }
    }
  }
}

/// The database going away and coming back, on PostgreSQL.
@Suite("Database outages", .enabled(if: TestBackend.current == .postgres))
struct DatabaseOutageTests {
  @Test(
    "an unreachable database answers UNAVAILABLE, Health keeps serving, and the server recovers"
  )
  func outage() async throws {
    let database = try await TestPostgresDatabase.make()
    defer { database.drop() }
    let configure: (inout ServerConfiguration) -> Void = { $0.databaseURL = database.serverURL }
    try await withTestServer(.inProcess, configure: configure) { server in
      let fixture = try await Fixture.make(server)
      let workflow = try await fixture.createWorkflow()
      let member = fixture.client(.member)
      let get = Thaiyyal_V1_GetWorkflowRequest.with { $0.id = workflow.id }
      _ = try await member.workflows.getWorkflow(get)

      try TestPostgresDatabase.psql(
        database.socketDirectory,
        """
        ALTER DATABASE \(database.name) ALLOW_CONNECTIONS false;
        SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database.name)';
        """
      )
      var refusal: RPCError?
      do {
        _ = try await member.workflows.getWorkflow(get)
      } catch let error as RPCError {
        refusal = error
      }
      #expect(refusal?.code == .unavailable, "\(String(describing: refusal))")
      #expect(refusal?.errorInfo?.reason == "DATABASE_UNAVAILABLE")
      #expect(try await server.makeClient().health.check().status == .serving)

      try TestPostgresDatabase.psql(
        database.socketDirectory,
        "ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true"
      )
      // Bounded by count: the first call after the outage may still meet a connection the
      // database closed, which the pool then drops.
      var name: String?
      for _ in 0 ..< 100 where name == nil {
        name = try? await member.workflows.getWorkflow(get).name
        if name == nil { try await Task.sleep(for: .milliseconds(50)) }
      }
      #expect(name == workflow.name)
    }
  }
}
