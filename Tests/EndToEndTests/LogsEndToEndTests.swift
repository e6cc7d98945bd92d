import Foundation
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// The server's log file: written where the configuration says, reopened on SIGHUP after
/// logrotate moved it, and its level changed by a configuration reload on the same signal.
@Suite("Log files end to end", .serialized)
struct LogsEndToEndTests {
  /// Waits (bounded by count) until the file holds `text`.
  static func waitFor(_ text: String, in path: String) async throws -> Bool {
    for _ in 0 ..< 2000 {
      if let content = try? String(contentsOfFile: path, encoding: .utf8), content.contains(text) {
        return true
      }
      try await Task.sleep(for: .milliseconds(10))
    }
    return false
  }

  @Test(
    "the log goes to its file, which SIGHUP reopens after a rotation and whose level it reloads",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func rotationAndLevel() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let log = directory.path + "/server.log"
    let config = directory.path + "/server.yaml"
    func configure(level: String) throws {
      try "log:\n  level: \(level)\nobservability:\n  logging:\n    output: \(log)\n".write(
        toFile: config,
        atomically: true,
        encoding: .utf8
      )
    }
    try configure(level: "error")
    let server = try await TenancyEndToEndTests.startServer(
      in: directory.path,
      extra: ["--config", config]
    )
    defer { server.terminate() }
    let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: directory.path + "/s.sock"))
    defer { Task { await client.close() } }
    // A failed call (no tenant named) is logged at info: not at level error.
    _ = try? await client.workflows.listWorkflows()
    #expect(FileManager.default.fileExists(atPath: log))

    // logrotate moves the file away; SIGHUP reopens it and reloads the level from the file.
    try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
    try configure(level: "info")
    kill(server.processIdentifier, SIGHUP)
    #expect(try await Self.waitFor("reloaded on SIGHUP", in: log))
    _ = try? await client.workflows.listWorkflows()
    #expect(try await Self.waitFor("call failed", in: log))
    let rotated = try String(contentsOfFile: log + ".1", encoding: .utf8)
    #expect(!rotated.contains("call failed"), "nothing at info before the reload")
  }
}
