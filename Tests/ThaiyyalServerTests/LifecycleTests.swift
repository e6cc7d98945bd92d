import Foundation
import Logging
import ServiceLifecycle
import Testing
import ThaiyyalTesting

@testable import ThaiyyalServer

/// The server's parts start in `run()`, never in an initialiser, and stop on graceful shutdown.
@Suite("Lifecycle")
struct LifecycleTests {
  @Test(
    "a second server on the same SQLite data directory is refused while the first runs",
    .enabled(if: TestBackend.current == .sqlite)
  )
  func oneServerPerDirectory() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    func on(_ socket: String) -> (inout ServerConfiguration) -> Void {
      {
        $0.dataDirectory = directory.path
        $0.socketPath = directory.path + "/" + socket
      }
    }
    try await withTestServer(.inProcess, configure: on("first.sock")) { _ in
      #expect(DataDirectoryLock.isHeld(in: directory.path))
      do {
        try await withTestServer(.inProcess, configure: on("second.sock")) { _ in }
        Issue.record("a second server started on the same data directory")
      } catch {
        #expect("\(error)".contains("another server is running"), "\(error)")
      }
    }
    #expect(!DataDirectoryLock.isHeld(in: directory.path), "released when the server stopped")
    try await withTestServer(.inProcess, configure: on("again.sock")) { _ in }
  }

  @Test("making the application binds nothing and runs nothing; run() serves; shutdown stops it")
  func nothingStartsInInit() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var configuration = ServerConfiguration()
    configuration.dataDirectory = directory.path
    configuration.socketPath = directory.path + "/s.sock"
    configuration.passwordHashCost = 10
    let application = try await ServerApplication(
      configuration: configuration,
      logger: Logger(label: "test")
    )
    #expect(!FileManager.default.fileExists(atPath: directory.path + "/s.sock"))
    #expect(await application.scheduler.isStopping == false)
    #expect(await application.executionLoad() == (0, 0))

    let group = ServiceGroup(services: [application], logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let addresses = try await application.listeningAddresses()
      #expect(addresses.count == 1)
      #expect(FileManager.default.fileExists(atPath: directory.path + "/s.sock"))
      await group.triggerGracefulShutdown()
      try await tasks.waitForAll()
    }
    #expect(!FileManager.default.fileExists(atPath: directory.path + "/s.sock"))
    #expect(await application.scheduler.isStopping)
  }
}
