import Foundation
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

/// A real server on real sockets, through the whole stack.
@Suite("End to end")
struct HealthEndToEndTests {
  @Test("Health/Check over each socket transport", arguments: [TestTransport.unixSocket, .tcp])
  func health(transport: TestTransport) async throws {
    try await withTestServer(transport) { server in
      let client = server.makeClient()
      let response = try await client.health.check()
      #expect(response.status == .serving)
      #expect(response.version == "0.1.0")
      await client.close()
    }
  }

  @Test("an unknown method answers UNIMPLEMENTED over the wire, and the connection keeps working")
  func unimplementedOverTheWire() async throws {
    try await withTestServer(.unixSocket) { server in
      let client = server.makeClient()
      let unknown = MethodDescriptor(service: "thaiyyal.v1.WorkflowService", method: "Frobnicate")
      await #expect {
        try await client.transport.unary(unknown, payload: [], options: .default)
      } throws: { error in
        (error as? RPCError)?.code == .unimplemented
      }
      let status = try await client.health.check().status
      #expect(status == .serving)
      await client.close()
    }
  }
}

/// The `thaiyyal` binary itself: serve, health, signals and exit codes.
@Suite("Binary", .serialized)
struct BinaryTests {
  static let binary = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".build/debug/thaiyyal")

  /// Runs the binary as a client of the server started in `directory` (its socket `s.sock`),
  /// keeping the stored login in the directory rather than in the user's home.
  static func client(
    of directory: String,
    _ arguments: [String],
    input: String? = nil
  ) async throws -> (status: Int32, output: String, error: String) {
    try await run(
      arguments + ["--socket", directory + "/s.sock"],
      input: input,
      environment: ["XDG_CONFIG_HOME": directory + "/config"]
    )
  }

  /// Runs the binary to completion off the concurrency pool.
  static func run(
    _ arguments: [String],
    input: String? = nil,
    environment: [String: String] = [:],
    in directory: String? = nil,
    timeout: Double = 20
  ) async throws -> (status: Int32, output: String, error: String) {
    try await offPool {
      try runBlocking(
        arguments,
        input: input,
        environment: environment,
        in: directory,
        timeout: timeout
      )
    }
  }

  static func runBlocking(
    _ arguments: [String],
    input: String?,
    environment: [String: String] = [:],
    in directory: String? = nil,
    timeout: Double
  ) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (
      process.terminationStatus,
      String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
      String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    )
  }

  @Test(
    "serve starts with defaults, health answers, SIGTERM drains and exits 0 removing the socket",
    .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path))
  )
  func serveAndHealth() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = Process()
    server.executableURL = Self.binary
    server.currentDirectoryURL = URL(fileURLWithPath: directory.path)
    server.arguments = ["serve", "--log-format", "json"]
    server.standardError = FileHandle.nullDevice
    try server.run()
    let socket = directory.path + "/data/thaiyyal.sock"
    for _ in 0 ..< 200 where !FileManager.default.fileExists(atPath: socket) {
      try await Task.sleep(for: .milliseconds(25))
    }
    let text = try await Self.run(["health", "--socket", socket])
    #expect(text.status == 0)
    #expect(text.output.contains("SERVING"))
    let json = try await Self.run(["health", "--socket", socket, "--output", "json"])
    #expect(json.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
    #expect(object?["status"] as? String == "SERVING")

    server.terminate()  // SIGTERM
    await offPool { server.waitUntilExit() }
    #expect(server.terminationReason == .exit)
    #expect(server.terminationStatus == 0)
    #expect(!FileManager.default.fileExists(atPath: socket))
  }

  @Test(
    "health exits 3 when no server listens, and usage errors exit 2",
    .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path))
  )
  func exitCodes() async throws {
    let unreachable = try await Self.run(["health", "--socket", "/tmp/thaiyyal-missing.sock"])
    #expect(unreachable.status == 3)
    #expect(unreachable.error.hasPrefix("UNAVAILABLE:"))
    let usage = try await Self.run(["health", "--socket", "a", "--tcp", "127.0.0.1:1"])
    #expect(usage.status == 2)
    let badConfig = try await Self.run(["serve", "--tcp", "nonsense"])
    #expect(badConfig.status == 2)
  }

  @Test(
    "without an address, commands find the per-user socket of serve --user-socket, or say what they tried",
    .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path))
  )
  func discovery() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let elsewhere = directory.path + "/elsewhere"
    try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
    let environment = [
      "XDG_RUNTIME_DIR": directory.path + "/run", "THAIYYAL_SOCKET": "", "THAIYYAL_ADDRESS": "",
      "THAIYYAL_CONFIG": "",
    ]
    let userSocket = directory.path + "/run/thaiyyal/thaiyyal.sock"

    let nothing = try await Self.run(["health"], environment: environment, in: elsewhere)
    #expect(nothing.status == 3)
    #expect(nothing.error.contains("tried ./data/thaiyyal.sock, \(userSocket)"), "\(nothing.error)")
    #expect(nothing.error.contains("--socket PATH"))

    let server = Process()
    server.executableURL = Self.binary
    server.arguments = ["serve", "--user-socket", "--data-dir", directory.path + "/data"]
    server.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    server.standardError = FileHandle.nullDevice
    try server.run()
    for _ in 0 ..< 4800
    where server.isRunning && !FileManager.default.fileExists(atPath: userSocket) {
      try await Task.sleep(for: .milliseconds(25))
    }
    let found = try await Self.run(["health"], environment: environment, in: elsewhere)
    server.terminate()
    await offPool { server.waitUntilExit() }
    #expect(found.status == 0, "\(found.error)")
    #expect(found.output.contains("SERVING"))
  }
}
