import Foundation
import Synchronization
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// The binary's tenant commands and crash safety, against real `thaiyyal serve` processes.
@Suite("Tenancy end to end", .serialized)
struct TenancyEndToEndTests {
  /// A `thaiyyal serve` process on `directory`, waited for until it answers `Health/Check` (a stale
  /// socket file from a killed run may exist before the new server listens).
  static let tcpPort = Int.random(in: 30_000 ... 60_000)

  static func startServer(
    in directory: String,
    tcp: Bool = false,
    extra: [String] = []
  ) async throws -> Process {
    let server = Process()
    server.executableURL = BinaryTests.binary
    server.arguments =
      [
        "serve", "--data-dir", directory + "/data", "--socket", directory + "/s.sock",
        "--log-format",
        "json",
      ] + (tcp ? ["--tcp", "127.0.0.1:\(tcpPort)"] : []) + extra
      + (try await ServerDatabases.shared.arguments(for: directory))
    if TestBackend.current == .postgres {
      // A short lease: a killed server's executions are taken over within seconds.
      server.environment = ProcessInfo.processInfo.environment.merging(
        ["THAIYYAL_EXECUTION_LEASE_SECONDS": "2"],
        uniquingKeysWith: { $1 }
      )
    }
    server.standardError = FileHandle.nullDevice
    try server.run()
    // Bounded by count, generously: a loaded machine can take many seconds to start a debug
    // binary, and a server that exited stops the wait at once.
    for _ in 0 ..< 4800 where server.isRunning {
      let probe = ThaiyyalClient(connectingTo: .unixDomainSocket(path: directory + "/s.sock"))
      let serving =
        (try? await probe.health.check(options: CallOptions(timeout: .seconds(1))).status)
        == .serving
      await probe.close()
      if serving { break }
      try await Task.sleep(for: .milliseconds(25))
    }
    return server
  }

  @Test(
    "tenant commands create, list and purge over the socket; the password comes from stdin",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func tenantCommands() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = try await Self.startServer(in: directory.path)
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      server.terminate()
    }
    let socket = ["--socket", directory.path + "/s.sock"]
    let created = try await BinaryTests.run(
      [
        "tenant", "create", "--slug", "acme", "--name", "Acme", "--owner-email", "a@acme.io",
        "--owner-username", "alice",
        "--password-stdin", "--output", "json",
      ] + socket,
      input: "a long enough password\n"
    )
    #expect(created.status == 0, "\(created.error)")
    #expect(!created.output.contains("a long enough password"))
    let listed = try await BinaryTests.run(["tenant", "list", "--output", "json"] + socket)
    let lines = listed.output.split(separator: "\n")
    #expect(lines.count == 1)
    #expect(lines.first?.contains(#""slug":"acme""#) == true)
    let missingPassword = try await BinaryTests.run(
      [
        "tenant", "create", "--slug", "beta", "--name", "B", "--owner-email", "b@b.io",
        "--owner-username", "b",
      ] + socket
    )
    #expect(missingPassword.status == 2)
    let notDeleted = try await BinaryTests.run(["tenant", "purge", "acme", "--yes"] + socket)
    #expect(notDeleted.status == 1)
    #expect(notDeleted.error.hasPrefix("FAILED_PRECONDITION:"))
    let audit = try await BinaryTests.run(
      ["audit", "list", "--tenant", "acme", "--output", "json"] + socket
    )
    #expect(audit.output.contains("tenant.created"))
  }

  @Test(
    "login keeps a 0600 token that later commands use; operator tokens work over TCP",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func identityCommands() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = try await Self.startServer(in: directory.path, tcp: true)
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      server.terminate()
    }
    let socket = ["--socket", directory.path + "/s.sock"]
    let environment = [
      "XDG_CONFIG_HOME": directory.path + "/cfg", "THAIYYAL_TOKEN": "", "THAIYYAL_TENANT": "",
    ]
    _ = try await BinaryTests.run(
      [
        "tenant", "create", "--slug", "acme", "--name", "Acme", "--owner-email", "a@acme.io",
        "--owner-username", "alice",
        "--password-stdin",
      ] + socket,
      input: "a long enough password\n",
      environment: environment
    )
    let login = try await BinaryTests.run(
      ["login", "--tenant", "acme", "--user", "alice", "--password-stdin"] + socket,
      input: "a long enough password\n",
      environment: environment
    )
    #expect(login.status == 0, "\(login.error)")
    // An unknown tenant answers exactly as a wrong password, even from the operator's socket.
    var refusals: [String] = []
    for (tenant, password) in [("acmee", "a long enough password"), ("acme", "a wrong password")] {
      let refused = try await BinaryTests.run(
        ["login", "--tenant", tenant, "--user", "alice", "--password-stdin"] + socket,
        input: password + "\n",
        environment: environment
      )
      #expect(refused.status == 1)
      refusals.append(refused.error)
    }
    #expect(refusals[0] == refusals[1], "\(refusals)")
    #expect(refusals[0].hasPrefix("UNAUTHENTICATED"), "\(refusals)")
    let stored = directory.path + "/cfg/thaiyyal/credentials.json"
    let mode = try FileManager.default.attributesOfItem(atPath: stored)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let whoami = try await BinaryTests.run(
      ["whoami", "--output", "json"] + socket,
      environment: environment
    )
    #expect(whoami.output.contains(#""username":"alice""#))

    let tcp = ["--tcp", "127.0.0.1:\(Self.tcpPort)"]
    // The stored login belongs to the socket it was made on: over TCP there is none to send.
    let elsewhere = try await BinaryTests.run(["whoami"] + tcp, environment: environment)
    #expect(elsewhere.status == 1 && elsewhere.error.hasPrefix("UNAUTHENTICATED"))
    // A public call never carries it; a command naming another tenant acts as the operator.
    let health = try await BinaryTests.run(["health"] + socket, environment: environment)
    #expect(health.status == 0, "\(health.error)")
    _ = try await BinaryTests.run(
      [
        "tenant", "create", "--slug", "globex", "--name", "Globex", "--owner-email", "g@globex.io",
        "--owner-username", "gina", "--password-stdin",
      ] + socket,
      input: "a long enough password\n",
      environment: environment
    )
    let audit = try await BinaryTests.run(
      ["audit", "list", "--tenant", "globex"] + socket,
      environment: environment
    )
    #expect(audit.status == 0, "\(audit.error)")
    let anonymous = try await BinaryTests.run(["tenant", "list"] + tcp, environment: environment)
    #expect(anonymous.status == 1)
    #expect(anonymous.error.hasPrefix("UNAUTHENTICATED"))
    let minted = try await BinaryTests.run([
      "token", "operator", "--data-dir", directory.path + "/data",
    ])
    #expect(minted.status == 0)
    let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)
    let listed = try await BinaryTests.run(
      ["tenant", "list", "--token", token] + tcp,
      environment: environment
    )
    #expect(listed.status == 0, "\(listed.error)")
    #expect(listed.output.contains("acme"))
  }

  @Test(
    "every acknowledged write survives a SIGKILL, and the database is intact after restart",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func crashSafety() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = try await Self.startServer(in: directory.path)
    let acknowledged = Acknowledged()
    let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: directory.path + "/s.sock"))
    let writers = Task {
      await withTaskGroup(of: Void.self) { group in
        for writer in 0 ..< 4 {
          group.addTask {
            for i in 0 ..< 1000 {
              var request = Thaiyyal_V1_CreateTenantRequest()
              request.slug = "t-\(writer)-\(i)"
              request.name = "Tenant"
              request.ownerEmail = "o@t.io"
              request.ownerUsername = "o"
              request.ownerPassword = "a long enough password"
              do {
                _ = try await client.tenants.createTenant(request)
                acknowledged.append(request.slug)
              } catch {
                return  // the server is gone
              }
            }
          }
        }
      }
    }
    while acknowledged.all.count < 12 {
      try await Task.sleep(for: .milliseconds(20))
    }
    kill(server.processIdentifier, SIGKILL)
    await offPool { server.waitUntilExit() }
    await writers.value
    await client.close()
    let written = acknowledged.all

    let restarted = try await Self.startServer(in: directory.path)
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      restarted.terminate()
    }
    let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: directory.path + "/s.sock"))
    var request = Thaiyyal_V1_ListTenantsRequest()
    request.pageSize = 1000
    let stored = Set(try await reader.tenants.listTenants(request).tenants.map(\.slug))
    await reader.close()
    #expect(Set(written).isSubset(of: stored), "lost: \(Set(written).subtracting(stored))")

    try await ServerDatabases.shared.checkIntegrity(of: directory.path)
  }
}

/// Slugs the server acknowledged, collected across writer tasks.
final class Acknowledged: Sendable {
  private let slugs = Mutex<[String]>([])
  var all: [String] { slugs.withLock { $0 } }
  func append(_ slug: String) { slugs.withLock { $0.append(slug) } }
}

/// The database each binary server of a test directory serves from: the SQLite file under its
/// data directory, or, under `THAIYYAL_TEST_BACKEND=postgres`, a PostgreSQL database made for that
/// directory once, so a server restarted on the directory finds its data again.
actor ServerDatabases {
  static let shared = ServerDatabases()
  private var databases: [String: TestPostgresDatabase] = [:]

  /// The `serve` arguments that point at the directory's database.
  func arguments(for directory: String) async throws -> [String] {
    guard TestBackend.current == .postgres else { return [] }
    let database: TestPostgresDatabase
    if let existing = databases[directory] {
      database = existing
    } else {
      database = try await TestPostgresDatabase.make()
      databases[directory] = database
    }
    return ["--database-url", database.serverURL.connectionString]
  }

  /// Makes the servers of `directory` use the database of `other`'s: several servers, one database.
  func share(_ directory: String, with other: String) async throws {
    _ = try await arguments(for: other)
    databases[directory] = databases[other]
  }

  /// The database's own consistency check, after crashes.
  func checkIntegrity(of directory: String) async throws {
    if let database = databases[directory] {
      // The tenants table is readable after the crashes, and holds what the servers wrote.
      let tenants = try database.psql("SELECT count(*) FROM tenants")
      let count = Int(tenants.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
      #expect(count > 0, "the servers wrote to PostgreSQL")
      return
    }
    let store = try SQLiteStore(
      configuration: StoreConfiguration(path: directory + "/data/thaiyyal.db"),
      migrate: false
    )
    #expect(try await store.integrityCheck() == "ok")
    try store.close()
  }
}
