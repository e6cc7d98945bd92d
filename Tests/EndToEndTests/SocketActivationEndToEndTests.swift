import Foundation
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

/// systemd socket activation: the service manager holds the socket, starts the server on the first
/// connection, and the server serves the socket it is handed (here `systemd-socket-activate`,
/// which does what systemd does for a `.socket` unit).
@Suite("Socket activation end to end")
struct SocketActivationEndToEndTests {
  static let activator = "/usr/bin/systemd-socket-activate"

  @Test(
    "the first connection to an activation socket starts the server, which answers on it",
    // The socket is the transport's, whatever the database: run on the SQLite pass only.
    .enabled(
      if: TestBackend.current == .sqlite
        && FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path)
    )
  )
  func activation() async throws {
    guard FileManager.default.isExecutableFile(atPath: Self.activator) else {
      #expect(
        ProcessInfo.processInfo.environment["CI"] == nil,
        "systemd-socket-activate is missing"
      )
      return
    }
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let socket = directory.path + "/activated.sock"
    let manager = Process()
    manager.executableURL = URL(fileURLWithPath: Self.activator)
    manager.arguments =
      ["-l", socket, BinaryTests.binary.path, "serve", "--data-dir", directory.path + "/data"]
    manager.standardError = FileHandle.nullDevice
    manager.standardOutput = FileHandle.nullDevice
    try manager.run()
    defer {
      // SIGTERM reaches the server, which the activator exec'd in its own place.
      manager.terminate()
    }
    // The socket exists before any server does (bounded by count).
    for _ in 0 ..< 2000 where !FileManager.default.fileExists(atPath: socket) {
      try await Task.sleep(for: .milliseconds(5))
    }
    let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket))
    defer { Task { await client.close() } }
    // The first call starts the server; a loaded machine may need a while to answer it.
    var status: Thaiyyal_V1_CheckResponse.ServingStatus?
    for _ in 0 ..< 60 where status != .serving {
      status = try? await client.health.check(options: CallOptions(timeout: .seconds(5))).status
      if status != .serving { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(status == .serving)
    // Served from the inherited socket: the server did not bind its default one.
    #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/thaiyyal.sock"))
  }
}
