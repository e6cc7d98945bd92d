import Foundation
import NIOCore
import SwiftProtobuf
import ThaiyyalProto
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// A blocking socket that speaks raw bytes, for feeding the server malformed or hand-made frames
/// and reading exactly what it answers. Reads time out, so a wedged server fails the test instead
/// of hanging it.
final class RawConnection {
  private let fd: Int32

  init(_ address: BindAddress, readTimeout: Double = 5) throws {
    switch address {
    case .unixDomainSocket(let path):
      fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      let rc = UnixSocketFile.withAddress(of: path) { connect(fd, $0, $1) }
      guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
    case .tcp(let host, let port):
      fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var addr = sockaddr_in()
      addr.sin_family = sa_family_t(AF_INET)
      addr.sin_port = in_port_t(UInt16(port).bigEndian)
      inet_pton(AF_INET, host, &addr.sin_addr)
      let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
    }
    var timeout = timeval(
      tv_sec: Int(readTimeout),
      tv_usec: Int((readTimeout - Double(Int(readTimeout))) * 1e6)
    )
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(fd) }

  func send(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes {
        Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
      }
      if n <= 0 { return }
      offset += n
    }
  }

  /// Closes the writing half, as a client does when it stops mid-frame.
  func shutdownWrite() {
    shutdown(fd, Int32(SHUT_WR))
  }

  /// Reads exactly `count` bytes; `nil` on EOF or timeout.
  func read(_ count: Int) -> [UInt8]? {
    var result = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
      let n = result[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { return nil }
      offset += n
    }
    return result
  }

  /// `true` when the server closed the connection (EOF) within the read timeout.
  ///
  /// Blocking reads run on a Dispatch thread, never on the Swift concurrency pool that the server's
  /// handlers need.
  func isClosedByPeer() async -> Bool {
    await offPool { self.isClosedByPeerBlocking() }
  }

  /// Reads one response frame and decodes its `ttrpc.Response`.
  func readResponse() async throws -> (header: FrameHeader, response: Ttrpc_Response) {
    try await offPool { try self.readResponseBlocking() }
  }

  private func isClosedByPeerBlocking() -> Bool {
    var byte: UInt8 = 0
    let n = recv(fd, &byte, 1, 0)
    return n == 0 || (n < 0 && errno == ECONNRESET)
  }

  private func readResponseBlocking() throws -> (header: FrameHeader, response: Ttrpc_Response) {
    guard let head = read(FrameHeader.size) else { throw POSIXError(.ETIMEDOUT) }
    let buffer = ByteBuffer(bytes: head)
    let header = buffer.peekFrameHeader()!
    guard let body = read(Int(header.length)) else { throw POSIXError(.ETIMEDOUT) }
    return (header, try Ttrpc_Response(serializedBytes: body))
  }
}

extension RawConnection: @unchecked Sendable {}

/// Builders for hand-made frames.
enum Frames {
  static func frame(
    streamID: UInt32,
    type: FrameType = .request,
    flags: UInt8 = 0,
    data: [UInt8]
  ) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeFrameHeader(
      FrameHeader(length: UInt32(data.count), streamID: streamID, type: type, flags: flags)
    )
    buffer.writeBytes(data)
    return Array(buffer: buffer)
  }

  /// A request to `test.Echo/Sleep`, which answers after `milliseconds`.
  static func sleep(streamID: UInt32, milliseconds: Int, timeoutNanos: Int64 = 0) -> [UInt8] {
    request(
      streamID: streamID,
      service: TestServices.service,
      method: "Sleep",
      payload: TestServices.sleepPayload(milliseconds: milliseconds),
      timeoutNanos: timeoutNanos
    )
  }

  static func request(
    streamID: UInt32,
    service: String,
    method: String,
    payload: [UInt8] = [],
    timeoutNanos: Int64 = 0,
    metadata: [(String, String)] = []
  ) -> [UInt8] {
    var request = Ttrpc_Request()
    request.service = service
    request.method = method
    request.payload = Data(payload)
    request.timeoutNano = timeoutNanos
    request.metadata = metadata.map { key, value in
      var entry = Ttrpc_KeyValue()
      entry.key = key
      entry.value = value
      return entry
    }
    let data: [UInt8] = try! request.serializedBytes()
    return frame(streamID: streamID, data: data)
  }
}
