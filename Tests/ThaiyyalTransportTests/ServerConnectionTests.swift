import Foundation
import InMemoryLogging
import Logging
import NIOCore
import Synchronization
import Testing
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalTransport

/// Wire behaviour of the server over real sockets, driven with hand-made frames.
@Suite("Server connection")
struct ServerConnectionTests {
  @Test("answers an echo request with the payload and no status")
  func echo() async throws {
    try await withTransportServer { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(
        Frames.request(
          streamID: 1,
          service: TestServices.service,
          method: "Echo",
          payload: [4, 5, 6]
        )
      )
      let (header, response) = try await raw.readResponse()
      #expect(header.streamID == 1)
      #expect(header.type == .response)
      #expect(header.flags == 0)
      #expect(!response.hasStatus)
      #expect(Array(response.payload) == [4, 5, 6])
    }
  }

  @Test(
    "an oversized frame answers RESOURCE_EXHAUSTED on its stream and the connection stays usable"
  )
  func oversizedFrame() async throws {
    try await withTransportServer(configuration: .testing.with(\.maxMessageSize, 1024)) {
      _,
      addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(Frames.frame(streamID: 3, data: [UInt8](repeating: 0x0A, count: 5000)))
      let (header, response) = try await raw.readResponse()
      #expect(header.streamID == 3)
      #expect(response.status.code == Int32(RPCError.Code.resourceExhausted.rawValue))
      #expect(response.status.message == "message length 5000 exceeds maximum message size of 1024")
      raw.send(
        Frames.request(streamID: 5, service: TestServices.service, method: "Echo", payload: [1])
      )
      let (next, echoed) = try await raw.readResponse()
      #expect(next.streamID == 5)
      #expect(Array(echoed.payload) == [1])
    }
  }

  @Test("an even stream id answers INVALID_ARGUMENT on that stream id")
  func evenStreamID() async throws {
    try await withTransportServer { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(Frames.request(streamID: 2, service: TestServices.service, method: "Echo"))
      let (header, response) = try await raw.readResponse()
      #expect(header.streamID == 2)
      #expect(response.status.code == Int32(RPCError.Code.invalidArgument.rawValue))
    }
  }

  @Test("unknown service and unknown method answer UNIMPLEMENTED with the ttrpc messages")
  func unknownServiceAndMethod() async throws {
    try await withTransportServer { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(Frames.request(streamID: 1, service: "nope.Service", method: "Echo"))
      let (_, unknownService) = try await raw.readResponse()
      #expect(unknownService.status.code == Int32(RPCError.Code.unimplemented.rawValue))
      #expect(unknownService.status.message == "service nope.Service")
      raw.send(Frames.request(streamID: 3, service: TestServices.service, method: "Nope"))
      let (_, unknownMethod) = try await raw.readResponse()
      #expect(unknownMethod.status.code == Int32(RPCError.Code.unimplemented.rawValue))
      #expect(unknownMethod.status.message == "method Nope")
    }
  }

  @Test("frame data that is not a Request answers INVALID_ARGUMENT")
  func notARequest() async throws {
    try await withTransportServer { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(Frames.frame(streamID: 1, data: [0x0A, 0x40, 0x61]))
      let (header, response) = try await raw.readResponse()
      #expect(header.streamID == 1)
      #expect(response.status.code == Int32(RPCError.Code.invalidArgument.rawValue))
    }
  }

  @Test("a header or body cut short by EOF closes the connection; the server keeps serving")
  func truncatedAtEOF() async throws {
    try await withTransportServer { _, addresses in
      for cut in [4, FrameHeader.size + 3] {
        let raw = try RawConnection(addresses[0])
        let frame = Frames.request(
          streamID: 1,
          service: TestServices.service,
          method: "Echo",
          payload: [1, 2, 3, 4, 5]
        )
        raw.send(Array(frame.prefix(cut)))
        raw.shutdownWrite()
        #expect(await raw.isClosedByPeer())
      }
      let healthy = try RawConnection(addresses[0])
      healthy.send(
        Frames.request(streamID: 1, service: TestServices.service, method: "Echo", payload: [7])
      )
      #expect(Array(try await healthy.readResponse().response.payload) == [7])
    }
  }

  @Test(
    "a client that shuts its side for writing still gets its answers, then the server closes",
    arguments: [false, true]
  )
  func halfClose(tcp: Bool) async throws {
    let gate = Gate()
    try await withTransportServer(tcp: tcp, gate: gate) { _, addresses in
      // A generous bound: the answers come at once unless the machine is very busy.
      let raw = try RawConnection(addresses[tcp ? 1 : 0], readTimeout: 30)
      raw.send(
        Frames.request(streamID: 1, service: TestServices.service, method: "Gate", payload: [9])
      )
      raw.send(
        Frames.request(streamID: 3, service: TestServices.service, method: "Echo", payload: [3])
      )
      raw.shutdownWrite()
      let (echo, echoed) = try await raw.readResponse()
      #expect(echo.streamID == 3)
      #expect(Array(echoed.payload) == [3])
      while gate.entered == 0 { try await Task.sleep(for: .milliseconds(10)) }
      gate.open()
      let (gated, payload) = try await raw.readResponse()
      #expect(gated.streamID == 1)
      #expect(Array(payload.payload) == [9])
      #expect(await raw.isClosedByPeer())
    }
  }

  @Test(
    "random garbage never stops the server from serving others, and leaves no connection behind"
  )
  func garbage() async throws {
    try await withTransportServer(configuration: .testing.with(\.maxMessageSize, 64 * 1024)) {
      server,
      addresses in
      var generator = SystemRandomNumberGenerator()
      for _ in 0 ..< 20 {
        let raw = try RawConnection(addresses[0], readTimeout: 0.2)
        raw.send(
          (0 ..< Int.random(in: 1 ... 4096)).map { _ in
            UInt8.random(in: 0 ... 255, using: &generator)
          }
        )
        raw.shutdownWrite()
        _ = await raw.isClosedByPeer()
      }
      for _ in 0 ..< 200 where server.openConnections > 0 {
        try await Task.sleep(for: .milliseconds(25))
      }
      #expect(server.openConnections == 0)
      let healthy = try RawConnection(addresses[0])
      healthy.send(
        Frames.request(streamID: 1, service: TestServices.service, method: "Echo", payload: [42])
      )
      #expect(Array(try await healthy.readResponse().response.payload) == [42])
    }
  }

  @Test("calls on one connection are answered in completion order")
  func outOfOrder() async throws {
    let gate = Gate()
    try await withTransportServer(gate: gate) { _, addresses in
      let raw = try RawConnection(addresses[0])
      // Stream 1 stays at the gate until stream 3, sent after it, has been answered.
      raw.send(
        Frames.request(streamID: 1, service: TestServices.service, method: "Gate", payload: [1])
      )
      raw.send(
        Frames.request(streamID: 3, service: TestServices.service, method: "Echo", payload: [3])
      )
      #expect(try await raw.readResponse().header.streamID == 3)
      gate.open()
      #expect(try await raw.readResponse().header.streamID == 1)
    }
  }

  @Test("timeout_nano sets a deadline; a slower handler answers DEADLINE_EXCEEDED")
  func deadline() async throws {
    try await withTransportServer { _, addresses in
      // Read for longer than the handler sleeps, so only the deadline can end the call in time.
      let raw = try RawConnection(addresses[0], readTimeout: 60)
      let start = ContinuousClock.now
      raw.send(
        Frames.sleep(streamID: 1, milliseconds: 30_000, timeoutNanos: 100_000_000)
      )
      let (_, response) = try await raw.readResponse()
      #expect(response.status.code == Int32(RPCError.Code.deadlineExceeded.rawValue))
      #expect(
        ContinuousClock.now - start < .seconds(25),
        "the deadline, not the 30 s handler, ends the call"
      )
    }
  }

  @Test("metadata keys arrive lower-cased, repeated keys kept")
  func metadata() async throws {
    try await withTransportServer { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(
        Frames.request(
          streamID: 1,
          service: TestServices.service,
          method: "Metadata",
          metadata: [("X-Tenant", "acme"), ("x-tenant", "two")]
        )
      )
      let text = String(decoding: try await raw.readResponse().response.payload, as: UTF8.self)
      #expect(text == "x-tenant=acme\nx-tenant=two")
    }
  }

  @Test("a response over the maximum becomes RESOURCE_EXHAUSTED, never an oversized frame")
  func oversizedResponse() async throws {
    try await withTransportServer(configuration: .testing.with(\.maxMessageSize, 4096)) {
      _,
      addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(
        Frames.request(
          streamID: 1,
          service: TestServices.service,
          method: "Large",
          payload: TestServices.sizePayload(10_000)
        )
      )
      let (header, response) = try await raw.readResponse()
      #expect(header.length <= 4096)
      #expect(response.status.code == Int32(RPCError.Code.resourceExhausted.rawValue))
    }
  }

  @Test("past the per-connection limit the server stops reading instead of dropping calls")
  func backpressure() async throws {
    let gate = Gate()
    try await withTransportServer(
      gate: gate,
      configuration: .testing.with(\.maxConcurrentCallsPerConnection, 2)
    ) { _, addresses in
      let raw = try RawConnection(addresses[0])
      for stream in stride(from: UInt32(1), through: 19, by: 2) {
        raw.send(
          Frames.request(
            streamID: stream,
            service: TestServices.service,
            method: "Gate",
            payload: [UInt8(stream)]
          )
        )
      }
      // Wait for the limit's worth of calls to start, then give a third the chance to.
      for _ in 0 ..< 1000 where gate.entered < 2 { try await Task.sleep(for: .milliseconds(10)) }
      try await Task.sleep(for: .milliseconds(200))
      #expect(gate.entered == 2, "only the limit's worth of calls may run")
      gate.open()
      var answered = Set<UInt32>()
      for _ in 0 ..< 10 {
        answered.insert(try await raw.readResponse().header.streamID)
      }
      #expect(answered == Set(stride(from: UInt32(1), through: 19, by: 2)))
    }
  }

  @Test("a client that disconnects cancels its calls still running")
  func disconnectCancels() async throws {
    let cancellations = Counter()
    try await withTransportServer(cancellations: cancellations) { _, addresses in
      do {
        let raw = try RawConnection(addresses[0])
        raw.send(Frames.request(streamID: 1, service: TestServices.service, method: "Hang"))
        raw.send(Frames.request(streamID: 3, service: TestServices.service, method: "Hang"))
        try await Task.sleep(for: .milliseconds(200))
      }  // closes the socket
      for _ in 0 ..< 200 where cancellations.count < 2 {
        try await Task.sleep(for: .milliseconds(25))
      }
      #expect(cancellations.count == 2)
    }
  }

  @Test("a stream id already running answers INVALID_ARGUMENT and leaves the first call alone")
  func duplicateStreamID() async throws {
    let gate = Gate()
    try await withTransportServer(gate: gate) { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(
        Frames.request(streamID: 1, service: TestServices.service, method: "Gate", payload: [7])
      )
      // The first call is running (held at the gate) before its stream id arrives again.
      while gate.entered == 0 { try await Task.sleep(for: .milliseconds(10)) }
      raw.send(
        Frames.request(streamID: 1, service: TestServices.service, method: "Echo", payload: [1])
      )
      let (first, duplicate) = try await raw.readResponse()
      #expect(first.streamID == 1)
      #expect(duplicate.status.code == Int32(RPCError.Code.invalidArgument.rawValue))
      gate.open()
      let (_, original) = try await raw.readResponse()
      #expect(!original.hasStatus)
      #expect(Array(original.payload) == [7])
    }
  }

  @Test("an idle connection is closed after the idle timeout")
  func idleTimeout() async throws {
    try await withTransportServer(configuration: .testing.with(\.idleTimeout, .milliseconds(200))) {
      _,
      addresses in
      let raw = try RawConnection(addresses[0], readTimeout: 120)
      let start = ContinuousClock.now
      #expect(await raw.isClosedByPeer())
      #expect(
        ContinuousClock.now - start < .seconds(60),
        "the idle timeout, not the read timeout, ends it"
      )
    }
  }

  /// Starts a frame that never completes (a header promising 1,000 bytes, then one byte every
  /// 50 ms) and reports whether the server closed the connection.
  static func dripUntilClosed(_ configuration: TTRPCServerConfiguration) async throws -> Bool {
    try await withTransportServer(configuration: configuration) { _, addresses in
      let raw = try RawConnection(addresses[0], readTimeout: 30)
      let frame = Frames.frame(streamID: 1, data: [UInt8](repeating: 0x61, count: 1000))
      let dripping = Task {
        raw.send(Array(frame.prefix(FrameHeader.size)))
        for byte in frame.dropFirst(FrameHeader.size).dropLast() {
          try await Task.sleep(for: .milliseconds(50))
          raw.send([byte])
        }
      }
      defer { dripping.cancel() }
      return await raw.isClosedByPeer()
    }
  }

  @Test("a frame dripped a byte at a time is closed by the frame timeout, not kept alive")
  func slowDrip() async throws {
    // Bytes keep coming, each well inside the idle timeout, but the frame never completes.
    let configuration = TTRPCServerConfiguration.testing
      .with(\.frameTimeout, .milliseconds(300))
      .with(\.idleTimeout, .seconds(60))
    #expect(try await Self.dripUntilClosed(configuration), "the frame timeout ends it")
  }

  @Test("bytes of an unfinished frame do not reset the idle timeout")
  func dripDoesNotResetIdle() async throws {
    let configuration = TTRPCServerConfiguration.testing
      .with(\.frameTimeout, .seconds(60))
      .with(\.idleTimeout, .milliseconds(300))
    #expect(try await Self.dripUntilClosed(configuration), "the idle timeout ends it")
  }

  @Test("TCP clients cannot take the Unix socket's capacity; one address gets its share only")
  func separateCapacity() async throws {
    let configuration = TTRPCServerConfiguration.testing
      .with(\.maxConnections, 8)
      .with(\.maxConnectionsPerAddress, 4)
    try await withTransportServer(tcp: true, configuration: configuration) { _, addresses in
      // Four TCP connections from 127.0.0.1 are served; the fifth is closed at once.
      var held: [RawConnection] = []
      for index in 0 ..< 4 {
        let raw = try RawConnection(addresses[1])
        raw.send(Frames.sleep(streamID: 1, milliseconds: 1))
        let (_, response) = try await raw.readResponse()
        #expect(!response.hasStatus, "connection \(index) is served")
        held.append(raw)
      }
      let refused = try RawConnection(addresses[1])
      #expect(await refused.isClosedByPeer(), "past its share, an address is closed")
      // The Unix socket still serves, whatever TCP holds.
      let local = TTRPCClient(target: addresses[0])
      let answer = try await local.unary(TestServices.echo, payload: [7], options: .default)
      #expect(answer == [7])
      await local.close()
      _ = held
    }
  }

  @Test("TCP at its connection limit leaves the Unix socket serving")
  func tcpFullUnixServes() async throws {
    let configuration = TTRPCServerConfiguration.testing.with(\.maxConnections, 3)
    try await withTransportServer(tcp: true, configuration: configuration) { server, addresses in
      var held: [RawConnection] = []
      for _ in 0 ..< 3 {
        let raw = try RawConnection(addresses[1])
        raw.send(Frames.sleep(streamID: 1, milliseconds: 1))
        _ = try await raw.readResponse()
        held.append(raw)
      }
      #expect(server.openConnections == 3)
      let local = TTRPCClient(target: addresses[0])
      let answer = try await local.unary(TestServices.echo, payload: [8], options: .default)
      #expect(answer == [8])
      await local.close()
      _ = held
    }
  }

  @Test("a handler that ignores cancellation still answers DEADLINE_EXCEEDED at the deadline")
  func deadlineWithUncancellableHandler() async throws {
    let gate = Gate()
    try await withTransportServer(gate: gate) { _, addresses in
      let raw = try RawConnection(addresses[0], readTimeout: 30)
      raw.send(
        Frames.request(
          streamID: 1,
          service: TestServices.service,
          method: "Gate",
          payload: [1],
          timeoutNanos: 50_000_000
        )
      )
      // The gate stays shut until the answer came: an interceptor that waited for the handler
      // would never answer.
      let (_, response) = try await raw.readResponse()
      #expect(response.status.code == Int32(RPCError.Code.deadlineExceeded.rawValue))
      gate.open()
    }
  }

  @Test("calls to unknown methods are logged, sampled to 20 lines a second")
  func unknownMethodsAreLogged() async throws {
    let handler = InMemoryLogHandler()
    let logger = Logger(label: "test.unknown") { _ in handler }
    let start = ContinuousClock.now
    try await withTransportServer(logger: logger) { _, addresses in
      let raw = try RawConnection(addresses[0])
      raw.send(
        (0 ..< 100).flatMap { stream in
          Frames.request(streamID: UInt32(2 * stream + 1), service: "test.Echo", method: "Nope")
        }
      )
      for _ in 0 ..< 100 {
        let (_, response) = try await raw.readResponse()
        #expect(response.status.code == Int32(RPCError.Code.unimplemented.rawValue))
      }
    }
    // At most 20 lines in each second the flood took (however slow the machine).
    let seconds = Int((ContinuousClock.now - start).components.seconds) + 1
    let lines = handler.entries.filter { $0.message == "call failed" }
    #expect(lines.count >= 1 && lines.count <= 20 * seconds, "\(lines.count) lines")
    #expect(lines.first?.metadata["code"] == "UNIMPLEMENTED")
  }
}
