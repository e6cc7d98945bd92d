import Foundation
import Logging
import Testing
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// The Swift client against the server, over both transports.
@Suite("Client and server")
struct ClientServerTests {
  @Test(
    "1,000 concurrent calls over one connection are each answered correctly",
    arguments: [false, true]
  )
  func thousandConcurrentCalls(tcp: Bool) async throws {
    try await withTransportServer(tcp: tcp) { _, addresses in
      let client = TTRPCClient(target: tcp ? addresses[1] : addresses[0])
      defer { Task { await client.close() } }
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0 ..< 1000 {
          group.addTask {
            let payload = Array("call-\(i)".utf8)
            let answer = try await client.unary(
              TestServices.echo,
              payload: payload,
              options: .default
            )
            #expect(answer == payload)
          }
        }
        try await group.waitForAll()
      }
    }
  }

  @Test("200 simultaneous connections are all served")
  func manyConnections() async throws {
    try await withTransportServer { server, addresses in
      let clients = (0 ..< 200).map { _ in TTRPCClient(target: addresses[0]) }
      try await withThrowingTaskGroup(of: Void.self) { group in
        for (i, client) in clients.enumerated() {
          group.addTask {
            let answer = try await client.unary(
              TestServices.echo,
              payload: [UInt8(i % 256)],
              options: .default
            )
            #expect(answer == [UInt8(i % 256)])
          }
        }
        try await group.waitForAll()
      }
      #expect(server.openConnections == 200)
      for client in clients { await client.close() }
    }
  }

  @Test("at the connection limit new clients wait until a connection closes")
  func connectionLimit() async throws {
    try await withTransportServer(configuration: .testing.with(\.maxUnixConnections, 2)) {
      server,
      addresses in
      let first = TTRPCClient(target: addresses[0])
      let second = TTRPCClient(target: addresses[0])
      _ = try await first.unary(TestServices.echo, payload: [1], options: .default)
      _ = try await second.unary(TestServices.echo, payload: [2], options: .default)
      let third = TTRPCClient(target: addresses[0])
      let waiting = Task {
        try await third.unary(TestServices.echo, payload: [3], options: .default)
      }
      try await Task.sleep(for: .milliseconds(300))
      #expect(server.openConnections == 2)
      await first.close()
      let answer = try await waiting.value
      #expect(answer == [3])
      await second.close()
      await third.close()
    }
  }

  @Test("graceful shutdown finishes calls in flight, then closes")
  func gracefulShutdown() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let gate = Gate()
    let server = TTRPCServer(
      table: TestServices.router(gate: gate).resolve(),
      logger: .init(label: "test")
    )
    let bound = try await server.start(listeningOn: [
      .unixDomainSocket(path: directory.path + "/g.sock")
    ])
    let client = TTRPCClient(target: bound[0])
    let inFlight = Task {
      try await client.unary(TestServices.gated, payload: [9], options: .default)
    }
    while gate.entered == 0 { try await Task.sleep(for: .milliseconds(10)) }
    let shutdown = Task { await server.shutdown(graceful: true) }
    for _ in 0 ..< 200 where FileManager.default.fileExists(atPath: directory.path + "/g.sock") {
      try await Task.sleep(for: .milliseconds(25))
    }
    #expect(
      !FileManager.default.fileExists(atPath: directory.path + "/g.sock"),
      "stops accepting while the call is still in flight"
    )
    #expect(gate.entered == 1)
    gate.open()
    #expect(try await inFlight.value == [9])
    await shutdown.value
    #expect(server.openConnections == 0)
    await client.close()
  }

  @Test("a client-side timeout is sent as timeout_nano and answered DEADLINE_EXCEEDED")
  func clientTimeout() async throws {
    try await withTransportServer { _, addresses in
      let client = TTRPCClient(target: addresses[0])
      defer { Task { await client.close() } }
      await #expect {
        try await client.unary(
          TestServices.sleep,
          payload: TestServices.sleepPayload(milliseconds: 60_000),
          options: CallOptions(timeout: .milliseconds(100))
        )
      } throws: { error in
        (error as? RPCError)?.code == .deadlineExceeded
      }
    }
  }

  @Test("a client that cannot connect gets a ConnectionError")
  func unreachable() async throws {
    let client = TTRPCClient(target: .unixDomainSocket(path: "/tmp/thaiyyal-does-not-exist.sock"))
    await #expect(throws: ConnectionError.self) {
      try await client.unary(TestServices.echo, payload: [], options: .default)
    }
  }
}

@Suite("Unix socket file")
struct UnixSocketFileTests {
  private func start(_ path: String) async throws -> TTRPCServer {
    let server = TTRPCServer(table: TestServices.router().resolve(), logger: .init(label: "test"))
    _ = try await server.start(listeningOn: [.unixDomainSocket(path: path)])
    return server
  }

  @Test("the socket gets mode 0660 and is removed on exit")
  func modeAndRemoval() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/m.sock"
    let server = try await start(path)
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o660)
    await server.shutdown()
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  @Test("a stale socket from a crashed run is replaced")
  func staleSocket() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/stale.sock"
    // A socket file nobody listens on, as a crashed server leaves behind.
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: Array(path.utf8))
      raw[path.utf8.count] = 0
    }
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    close(fd)
    #expect(FileManager.default.fileExists(atPath: path))
    let server = try await start(path)
    let client = TTRPCClient(target: .unixDomainSocket(path: path))
    #expect(try await client.unary(TestServices.echo, payload: [1], options: .default) == [1])
    await client.close()
    await server.shutdown()
  }

  @Test("a socket another server listens on is never taken over")
  func liveSocket() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/live.sock"
    let first = try await start(path)
    await #expect(throws: TransportError.socketInUse(path: path)) { _ = try await start(path) }
    let client = TTRPCClient(target: .unixDomainSocket(path: path))
    #expect(try await client.unary(TestServices.echo, payload: [2], options: .default) == [2])
    await client.close()
    await first.shutdown()
  }

  @Test("starting a server twice is refused")
  func doubleStart() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = try await start(directory.path + "/d.sock")
    await #expect(throws: TransportError.alreadyStarted) {
      _ = try await server.start(listeningOn: [.unixDomainSocket(path: directory.path + "/e.sock")])
    }
    await server.shutdown()
  }

  @Test("a path that is not a socket is never replaced")
  func regularFile() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/file"
    _ = FileManager.default.createFile(atPath: path, contents: Data("keep".utf8))
    await #expect(throws: TransportError.socketPathOccupied(path: path)) {
      _ = try await start(path)
    }
    #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
  }
}
