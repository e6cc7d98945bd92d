public import ArgumentParser
import Foundation
import SwiftProtobuf
import Synchronization
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTransport

/// `thaiyyal bench`: benchmarks that print figures. Build with `-c release` for real numbers.
///
/// A module of its own so that measuring code never ships inside the server's modules; the
/// binary mounts it as a subcommand, and the benchmarks start that same binary as their server.
public struct BenchCommand: AsyncParsableCommand {
  public init() {}

  public static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run benchmarks (use a release build).",
    subcommands: [
      RPCBench.self, TenantsBench.self, AuthBench.self, EngineBench.self, WorkflowsBench.self,
    ]
  )
}

/// `thaiyyal bench rpc`: drives `Health/Check` against a freshly started server process over the
/// Unix socket and TCP at several concurrencies on one connection, and prints throughput,
/// latency percentiles and the server's CPU time per request (from `/proc/PID/stat`).
struct RPCBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rpc",
    abstract: "Benchmark Health/Check over the Unix socket and TCP."
  )

  @Option(help: "Seconds measured per scenario.")
  var duration: Double = 5

  @Option(help: "Seconds of warm-up per scenario (not measured).")
  var warmup: Double = 1

  @Option(help: "Calls in flight on the one connection, comma-separated.")
  var concurrency: String = "1,8,64"

  @Option(help: "Transports to measure, comma-separated: unix, tcp.")
  var transports: String = "unix,tcp"

  func run() async throws {
    let levels = try loadLevels(concurrency, duration: duration)
    guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    let server = try BenchServer.start()
    defer { server.stop() }
    #if DEBUG
    print("warning: this is a debug build; build with -c release for meaningful figures")
    #endif
    print(
      "server pid \(server.pid), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(duration) s per scenario"
    )
    print(
      "transport  conc   requests     req/s    p50 µs    p99 µs  p99.9 µs  server CPU µs/req"
    )
    for name in transports.split(separator: ",").map(String.init) {
      let target: BindAddress
      switch name {
      case "unix": target = .unixDomainSocket(path: server.socketPath)
      case "tcp": target = server.tcpAddress
      default: throw ValidationError("unknown transport \(name)")
      }
      for level in levels {
        let client = TTRPCClient(target: target)
        let health = Thaiyyal_V1_Health.Client(transport: client)
        let check: @Sendable () async throws -> Void = { _ = try await health.check() }
        _ = try await drive(concurrency: level, for: warmup, check)
        let cpuBefore = try server.cpuTime()
        let result = try await drive(concurrency: level, for: duration, check)
        let cpuAfter = try server.cpuTime()
        await client.close()
        let cpuPerRequest = (cpuAfter - cpuBefore) / Double(result.count) * 1e6
        let line = [
          name.padding(toLength: 9, withPad: " ", startingAt: 0),
          String(format: "%5d", level),
          String(format: "%10d", result.count),
          String(format: "%9.0f", result.rate),
          String(format: "%9.1f", result.percentile(0.50)),
          String(format: "%9.1f", result.percentile(0.99)),
          String(format: "%9.1f", result.percentile(0.999)),
          String(format: "%18.2f", cpuPerRequest),
        ]
        print(line.joined(separator: " "))
      }
    }
  }

}

/// Latencies of one scenario, sorted, and how long it ran.
struct BenchResult {
  var latencies: [Double]
  var seconds: Double
  var count: Int { latencies.count }
  var rate: Double { Double(count) / seconds }

  func percentile(_ p: Double) -> Double {
    guard !latencies.isEmpty else { return 0 }
    return latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
  }
}

/// The concurrency levels of a `--concurrency 1,8,64` option, checked with the `--duration`.
///
/// - Throws: `ValidationError` unless there is a positive level and 0 < duration <= 600.
func loadLevels(_ concurrency: String, duration: Double) throws -> [Int] {
  let levels = concurrency.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
  guard !levels.isEmpty, duration > 0, duration <= 600 else {
    throw ValidationError("need positive concurrency levels and 0 < duration <= 600")
  }
  return levels
}

/// Runs `call` from `concurrency` tasks until `seconds` have passed, recording each latency in µs.
func drive(
  concurrency: Int,
  for seconds: Double,
  _ call: @escaping @Sendable () async throws -> Void
) async throws -> BenchResult {
  let start = ContinuousClock.now
  let end = start + .milliseconds(Int64(seconds * 1000))
  let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
    for _ in 0 ..< concurrency {
      group.addTask {
        var samples: [Double] = []
        samples.reserveCapacity(100_000)
        while true {
          let before = ContinuousClock.now
          if before >= end { break }
          try await call()
          let (s, atto) = (ContinuousClock.now - before).components
          samples.append(Double(s) * 1e6 + Double(atto) / 1e12)
        }
        return samples
      }
    }
    var all: [Double] = []
    for try await samples in group { all += samples }
    return all
  }
  let (s, atto) = (ContinuousClock.now - start).components
  return BenchResult(latencies: latencies.sorted(), seconds: Double(s) + Double(atto) / 1e18)
}

/// A `thaiyyal serve` child process on a temporary data directory.
struct BenchServer {
  let process: Process
  let directory: String
  let socketPath: String
  let tcpAddress: BindAddress

  var pid: Int32 { process.processIdentifier }

  /// Starts `thaiyyal serve` (this very binary, wherever it was run from) on a temporary
  /// directory, with `configuration` (YAML) when given.
  static func start(
    extraArguments: [String] = [],
    configuration: String? = nil
  ) throws -> BenchServer {
    var template = Array("/tmp/thy-bench-XXXXXX".utf8CString)
    guard let pointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw BenchError("cannot create a temporary directory")
    }
    let directory = String(cString: pointer)
    let port = Int.random(in: 20_000 ... 60_000)
    let socketPath = directory + "/s.sock"
    var arguments = extraArguments
    if let configuration {
      let path = directory + "/bench.yaml"
      try configuration.write(toFile: path, atomically: true, encoding: .utf8)
      arguments += ["--config", path]
    }
    let process = Process()
    process.executableURL = Self.ownExecutable
    process.arguments =
      [
        "serve", "--data-dir", directory, "--socket", socketPath, "--tcp", "127.0.0.1:\(port)",
        "--log-level", "warning",
        "--log-format", "json",
      ] + arguments
    try process.run()
    let server = BenchServer(
      process: process,
      directory: directory,
      socketPath: socketPath,
      tcpAddress: .tcp(host: "127.0.0.1", port: port)
    )
    for _ in 0 ..< 100 where !FileManager.default.fileExists(atPath: socketPath) {
      guard process.isRunning else { throw BenchError("the server exited during start-up") }
      usleep(50_000)
    }
    guard FileManager.default.fileExists(atPath: socketPath) else {
      server.stop()
      throw BenchError("the server did not start within 5 s")
    }
    return server
  }

  /// User plus system CPU seconds of the server process so far.
  func cpuTime() throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // Fields after the command name (which is in parentheses and may contain spaces).
    let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
    let ticks = Double(fields[11])! + Double(fields[12])!
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  func stop() {
    if process.isRunning {
      process.interrupt()
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: directory)
  }
}

/// Creates an enterprise tenant `bench` without a rate limit on `server` and signs its owner in.
///
/// - Returns: An operator client and a client carrying the owner's token.
func makeBenchTenant(
  _ server: BenchServer
) async throws -> (
  operator: ThaiyyalClient, owner: ThaiyyalClient
) {
  let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: server.socketPath))
  var create = Thaiyyal_V1_CreateTenantRequest()
  create.slug = "bench"
  create.name = "Bench"
  create.plan = .enterprise
  create.ownerEmail = "owner@bench.io"
  create.ownerUsername = "owner"
  create.ownerPassword = "a long enough password"
  _ = try await client.tenants.createTenant(create)
  var update = Thaiyyal_V1_UpdateTenantRequest()
  update.tenant.slug = "bench"
  update.tenant.limitOverrides.rateLimitPerSecond = -1
  update.updateMask.paths = ["limit_overrides"]
  _ = try await client.tenants.updateTenant(update)
  return (client, try await signInBenchOwner(server))
}

/// Signs the `bench` tenant's owner in on `server`: a client carrying the owner's token.
func signInBenchOwner(_ server: BenchServer) async throws -> ThaiyyalClient {
  let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: server.socketPath))
  defer { Task { await client.close() } }
  var login = Thaiyyal_V1_LoginRequest()
  login.tenant = "bench"
  login.login = "owner"
  login.password = "a long enough password"
  let token = try await client.users.login(login).accessToken
  return ThaiyyalClient(connectingTo: .unixDomainSocket(path: server.socketPath), token: token)
}

/// A benchmark that could not run; printed without a usage message.
struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Runs one scenario against `server` and prints a row: name, concurrency, requests, rate, p50,
/// p99 (µs) and the server's CPU time per request.
func reportScenario(
  width: Int,
  _ name: String,
  _ level: Int,
  _ server: BenchServer,
  _ scenario: () async throws -> BenchResult
) async throws {
  try await reportScenario(width: width, name, level, [server], scenario)
}

/// ``reportScenario(width:_:_:_:_:)`` against several servers: their CPU time is summed.
func reportScenario(
  width: Int,
  _ name: String,
  _ level: Int,
  _ servers: [BenchServer],
  _ scenario: () async throws -> BenchResult
) async throws {
  func cpuTime() throws -> Double { try servers.reduce(0) { try $0 + $1.cpuTime() } }
  let cpuBefore = try cpuTime()
  let result = try await scenario()
  let cpu = (try cpuTime() - cpuBefore) / Double(max(result.count, 1)) * 1e6
  print(
    [
      name.padding(toLength: width, withPad: " ", startingAt: 0),
      String(format: "%5d", level),
      String(format: "%10d", result.count),
      String(format: "%9.0f", result.rate),
      String(format: "%9.1f", result.percentile(0.50)),
      String(format: "%9.1f", result.percentile(0.99)),
      String(format: "%18.1f", cpu),
    ].joined(separator: " ")
  )
}

extension BenchServer {
  /// This binary: found through the kernel, so `thaiyyal bench` works when run from `PATH` or
  /// another directory (argv[0] is then only a name).
  static var ownExecutable: URL {
    #if os(Linux)
    let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    if FileManager.default.isExecutableFile(atPath: link.path) { return link }
    #endif
    return Bundle.main.executableURL
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
  }
}
