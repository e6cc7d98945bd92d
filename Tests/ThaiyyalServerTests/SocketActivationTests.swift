import Foundation
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalServer
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// systemd socket activation: the service manager binds and listens, and hands the server the
/// descriptor; the server must serve it as it is, neither binding the path again nor removing
/// the file (`thaiyyal serve` finds the descriptor through LISTEN_PID and LISTEN_FDS).
@Suite("Socket activation")
struct SocketActivationTests {
  /// A listening Unix socket at `path`, as systemd makes it for a `.socket` unit.
  static func listeningSocket(at path: String) throws -> Int32 {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EIO) }
    let bound = UnixSocketFile.withAddress(of: path) { bind(descriptor, $0, $1) }
    guard bound == 0, listen(descriptor, 16) == 0 else {
      close(descriptor)
      throw POSIXError(.EADDRINUSE)
    }
    return descriptor
  }

  @Test("a server handed a listening socket serves it, and leaves its file to the manager")
  func inheritedSocket() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/activated.sock"
    let descriptor = try Self.listeningSocket(at: path)
    let handOver: (inout ServerConfiguration) -> Void = {
      $0.socketPath = path
      $0.transport.inheritedUnixSocket = .init(descriptor: descriptor, path: path)
    }
    let answered = try await withTestServer(.inProcess, configure: handOver) { _ in
      let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: path))
      defer { Task { await client.close() } }
      return try await client.health.check().status
    }
    #expect(answered == .serving)
    // The server did not remove systemd's socket file when it stopped.
    #expect(FileManager.default.fileExists(atPath: path))
  }
}
