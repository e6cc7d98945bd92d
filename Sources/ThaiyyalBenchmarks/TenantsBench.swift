import ArgumentParser
import Foundation
import Synchronization
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTransport

/// `thaiyyal bench tenants`: the rate of `CreateTenant` (a write transaction with its owner, its
/// audit entries and a scrypt password hash) and of point reads over the Unix socket: `GetTenant`
/// by slug and `GetAuditLog`, a read scoped to one tenant through `x-tenant`.
struct TenantsBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tenants",
    abstract: "Benchmark CreateTenant and tenant-scoped point reads over the Unix socket."
  )

  @Option(help: "Seconds measured per scenario.")
  var duration: Double = 5

  @Option(help: "Calls in flight for the reads, comma-separated.")
  var concurrency: String = "1,8,64"

  @Option(help: "SQLite synchronous mode of the server: full or normal.")
  var synchronous: String = "full"

  func run() async throws {
    let levels = try loadLevels(concurrency, duration: duration)
    let config = FileManager.default.temporaryDirectory.appendingPathComponent(
      "thy-bench-\(getpid()).yaml"
    )
    try "database:\n  synchronous: \(synchronous)\n".write(
      to: config,
      atomically: true,
      encoding: .utf8
    )
    defer { try? FileManager.default.removeItem(at: config) }
    let server = try BenchServer.start(extraArguments: ["--config", config.path])
    defer { server.stop() }
    #if DEBUG
    print("warning: this is a debug build; build with -c release for meaningful figures")
    #endif
    print("server pid \(server.pid), synchronous=\(synchronous), \(duration) s per scenario")
    print(
      "scenario                  conc   requests     req/s    p50 µs    p99 µs  server CPU µs/req"
    )
    let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: server.socketPath))
    defer { Task { await client.close() } }

    let counter = SlugCounter()
    for level in [1, 2, 8] {
      let create: @Sendable () async throws -> Void = {
        var request = Thaiyyal_V1_CreateTenantRequest()
        request.slug = "bench-\(counter.next())"
        request.name = "Bench"
        request.ownerEmail = "owner@bench.io"
        request.ownerUsername = "owner"
        request.ownerPassword = "a long enough password"
        _ = try await client.tenants.createTenant(request)
      }
      try await reportScenario(width: 24, "CreateTenant", level, server) {
        try await drive(concurrency: level, for: duration, create)
      }
    }

    var getRequest = Thaiyyal_V1_GetTenantRequest()
    getRequest.tenant = "bench-1"
    let get = getRequest
    let entryID = try await client.audit.listAuditLogs(
      options: CallOptions(metadata: ["x-tenant": "bench-1"])
    )
    .entries[0].id
    for level in levels {
      let getTenant: @Sendable () async throws -> Void = {
        _ = try await client.tenants.getTenant(get)
      }
      try await reportScenario(width: 24, "GetTenant (by slug)", level, server) {
        try await drive(concurrency: level, for: duration, getTenant)
      }
    }
    var entryRequest = Thaiyyal_V1_GetAuditLogRequest()
    entryRequest.id = entryID
    let getEntry = entryRequest
    let scoped = CallOptions(metadata: ["x-tenant": "bench-1"])
    for level in levels {
      let read: @Sendable () async throws -> Void = {
        _ = try await client.audit.getAuditLog(getEntry, options: scoped)
      }
      try await reportScenario(width: 24, "GetAuditLog (x-tenant)", level, server) {
        try await drive(concurrency: level, for: duration, read)
      }
    }
  }

}

/// Unique slug numbers across concurrent creators.
final class SlugCounter: Sendable {
  private let value = Mutex(0)
  func next() -> Int {
    value.withLock {
      $0 += 1
      return $0
    }
  }
}
