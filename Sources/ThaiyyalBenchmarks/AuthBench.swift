import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTransport

/// `thaiyyal bench auth`: the cost of the whole interceptor chain (an authenticated `WhoAmI`,
/// which verifies the JWT, checks the user's state, resolves the tenant, authorizes and rate-limits)
/// next to `Health/Check`, which skips all of it; and the login timing of an unknown user versus a
/// wrong password, which must be indistinguishable.
struct AuthBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "auth",
    abstract: "Benchmark the authenticated interceptor chain and login timing."
  )

  @Option(help: "Seconds measured per scenario.")
  var duration: Double = 5

  @Option(help: "Calls in flight, comma-separated.")
  var concurrency: String = "1,64"

  @Option(help: "Logins timed per case for the enumeration check.")
  var logins: Int = 40

  func run() async throws {
    let levels = try loadLevels(concurrency, duration: duration)
    guard (1 ... 1000).contains(logins) else { throw ValidationError("--logins must be 1...1000") }
    // Per-source login throttling would answer the repeated wrong passwords without hashing;
    // this measures the hashing path, so the throttle is set out of reach.
    let server = try BenchServer.start(
      configuration: """
        security:
          max_failed_logins: 100000
          account_lockout_failures: 100000
        """
    )
    defer { server.stop() }
    #if DEBUG
    print("warning: this is a debug build; build with -c release for meaningful figures")
    #endif
    let (client, user) = try await makeBenchTenant(server)
    defer { Task { await client.close() } }
    var login = Thaiyyal_V1_LoginRequest()
    login.tenant = "bench"
    defer { Task { await user.close() } }

    print("server pid \(server.pid), \(duration) s per scenario")
    print(
      "scenario                   conc   requests     req/s    p50 µs    p99 µs  server CPU µs/req"
    )
    let anonymous = ThaiyyalClient(connectingTo: .unixDomainSocket(path: server.socketPath))
    defer { Task { await anonymous.close() } }
    for level in levels {
      let health: @Sendable () async throws -> Void = { _ = try await anonymous.health.check() }
      try await reportScenario(width: 25, "Health/Check (no token)", level, server) {
        try await drive(concurrency: level, for: duration, health)
      }
      let whoami: @Sendable () async throws -> Void = { _ = try await user.users.whoAmI() }
      try await reportScenario(width: 25, "WhoAmI (JWT, full chain)", level, server) {
        try await drive(concurrency: level, for: duration, whoami)
      }
    }

    print("\nlogin timing over \(logins) attempts each (must not tell the cases apart):")
    for (name, loginName) in [("wrong password", "owner"), ("unknown user", "nobody-at-all")] {
      var times: [Double] = []
      for _ in 0 ..< logins {
        var attempt = login
        attempt.login = loginName
        attempt.password = "not the password"
        let start = ContinuousClock.now
        _ = try? await client.users.login(attempt)
        let (s, atto) = (ContinuousClock.now - start).components
        times.append(Double(s) * 1e3 + Double(atto) / 1e15)
      }
      times.sort()
      let mean = times.reduce(0, +) / Double(times.count)
      print(
        String(
          format: "  %-15@ mean %7.2f ms   median %7.2f ms",
          name as NSString,
          mean,
          times[times.count / 2]
        )
      )
    }
  }

}
