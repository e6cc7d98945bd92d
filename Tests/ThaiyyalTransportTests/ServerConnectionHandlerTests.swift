import Logging
import NIOCore
import NIOEmbedded
import SwiftProtobuf
import Synchronization
import Testing
import ThaiyyalProto
import ThaiyyalRPC

@testable import ThaiyyalTransport

/// The connection handler in a test channel whose time moves only when a test moves it: what the
/// state machine decides reaches the channel (reads withheld and resumed, responses written,
/// closes), with calls that finish on the loop and calls that finish elsewhere.
@Suite("Server connection handler", .timeLimit(.minutes(1)))
struct ServerConnectionHandlerTests {
  /// Counts the reads the handler passes on to the channel.
  final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    private let reads = Mutex(0)
    var count: Int { reads.withLock { $0 } }

    func read(context: ChannelHandlerContext) {
      reads.withLock { $0 += 1 }
      context.read()
    }
  }

  struct Connection: Sendable {
    let channel: NIOAsyncTestingChannel
    let reads: ReadCounter
    let gate: Gate

    func send(_ bytes: [UInt8]) async throws {
      try await channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    func sendGated(streamID: UInt32) async throws {
      try await send(
        Frames.request(streamID: streamID, service: TestServices.service, method: "Gate")
      )
    }

    func sendEcho(streamID: UInt32, _ payload: [UInt8] = [7]) async throws {
      try await send(
        Frames.request(
          streamID: streamID,
          service: TestServices.service,
          method: "Echo",
          payload: payload
        )
      )
    }

    /// The responses in the next buffer written, waiting for one if needed.
    func nextResponses() async throws -> [(streamID: UInt32, response: Ttrpc_Response)] {
      let channel = channel
      var buffer = try await failingIfStuck("no response was written") {
        try await channel.waitForOutboundWrite(as: ByteBuffer.self)
      }
      var responses: [(UInt32, Ttrpc_Response)] = []
      while let header = buffer.peekFrameHeader() {
        buffer.moveReaderIndex(forwardBy: FrameHeader.size)
        let body = buffer.readBytes(length: Int(header.length)) ?? []
        responses.append((header.streamID, try Ttrpc_Response(serializedBytes: body)))
      }
      return responses
    }

    /// Asks the handler to read, as the channel does when it wants more bytes.
    func requestRead() async {
      channel.read()
      await channel.testingEventLoop.run()
    }

    func fire(_ event: any Sendable) async throws {
      try await channel.testingEventLoop.executeInContext {
        channel.pipeline.fireUserInboundEventTriggered(event)
      }
    }

    func waitUntilClosed() async throws {
      let closed = channel.closeFuture
      try await failingIfStuck("the connection did not close") { try await closed.get() }
    }
  }

  /// Runs `body`, which waits on an event that virtual time or the test itself brings about, so
  /// it finishes at once when the handler is right. When a regression leaves it waiting forever
  /// (NIO's futures do not heed cancellation), the test fails after a generous bound instead of
  /// hanging the suite.
  static func failingIfStuck<T: Sendable>(
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withCheckedThrowingContinuation { continuation in
      outcome.resumes(continuation)
      Task {
        do { outcome.finish(.success(try await body())) } catch { outcome.finish(.failure(error)) }
      }
      Task {
        try? await Task.sleep(for: .seconds(30))
        outcome.finish(.failure(Stuck(what: what)))
      }
    }
  }

  struct Stuck: Error, CustomStringConvertible {
    let what: String
    var description: String { "stuck: \(what)" }
  }

  /// Resumes its waiter with the first outcome only.
  final class FirstOutcome<T: Sendable>: Sendable {
    private let state = Mutex<CheckedContinuation<T, any Error>?>(nil)
    func resumes(_ waiter: CheckedContinuation<T, any Error>) {
      state.withLock { $0 = waiter }
    }
    func finish(_ result: Result<T, any Error>) {
      state.withLock { $0.take() }?.resume(with: result)
    }
  }

  static func connect(
    _ configure: (inout TTRPCServerConfiguration) -> Void = { _ in }
  ) async throws -> Connection {
    var configuration = TTRPCServerConfiguration.testing
    configure(&configuration)
    let gate = Gate()
    let reads = ReadCounter()
    let routes = RouteTable(TestServices.router(gate: gate).resolve())
    let logger = {
      var logger = Logger(label: "test.handler")
      logger.logLevel = .critical
      return logger
    }()
    let final = configuration
    let channel = try await NIOAsyncTestingChannel { channel in
      try channel.pipeline.syncOperations.addHandler(reads)
      try channel.pipeline.syncOperations.addHandler(
        TTRPCServerConnectionHandler(
          routes: routes,
          configuration: final,
          peer: .unixSocket(nil),
          logger: logger,
          refusals: LogSampler()
        )
      )
    }
    try await channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/handler-test.sock"))
    return Connection(channel: channel, reads: reads, gate: gate)
  }

  @Test("a call that finishes on the loop is answered with its payload")
  func inlineCall() async throws {
    let connection = try await Self.connect()
    try await connection.sendEcho(streamID: 1, [1, 2, 3])
    let responses = try await connection.nextResponses()
    #expect(responses.map(\.streamID) == [1])
    #expect(Array(responses[0].response.payload) == [1, 2, 3])
    _ = try await connection.channel.finish(acceptAlreadyClosed: true)
  }

  @Test("at the call limit reads are withheld, and resume once the waiting request has started")
  func backpressure() async throws {
    let connection = try await Self.connect { $0.maxConcurrentCallsPerConnection = 1 }
    try await connection.sendGated(streamID: 1)
    #expect(connection.gate.entered == 1)
    let before = connection.reads.count
    await connection.requestRead()
    #expect(connection.reads.count == before, "a full connection does not read")

    try await connection.sendEcho(streamID: 3)
    await connection.requestRead()
    #expect(connection.reads.count == before, "a waiting request keeps reading held")

    // The gated call finishes off the loop; the waiting echo starts and finishes on the loop.
    connection.gate.open()
    var answered: [UInt32] = []
    while answered.count < 2 {
      answered += try await connection.nextResponses().map(\.streamID)
    }
    #expect(answered == [1, 3])
    #expect(connection.reads.count == before + 1, "the held read is passed on once")
    _ = try await connection.channel.finish(acceptAlreadyClosed: true)
  }

  @Test("a client's half-close: the call in flight is answered, then the connection closes")
  func halfClose() async throws {
    let connection = try await Self.connect()
    try await connection.sendGated(streamID: 1)
    try await connection.fire(ChannelEvent.inputClosed)
    #expect(connection.channel.isActive, "a call is in flight")
    let before = connection.reads.count
    await connection.requestRead()
    #expect(connection.reads.count == before, "nothing more is read after the client's EOF")

    connection.gate.open()
    let responses = try await connection.nextResponses()
    #expect(responses.map(\.streamID) == [1])
    try await connection.waitUntilClosed()
  }

  @Test("a half-close of a connection with no call closes it at once")
  func halfCloseIdle() async throws {
    let connection = try await Self.connect()
    try await connection.sendEcho(streamID: 1)
    _ = try await connection.nextResponses()
    try await connection.fire(ChannelEvent.inputClosed)
    try await connection.waitUntilClosed()
  }

  @Test("a drain on shutdown serves the call in flight and the one waiting, then closes")
  func drain() async throws {
    let connection = try await Self.connect { $0.maxConcurrentCallsPerConnection = 1 }
    try await connection.sendGated(streamID: 1)
    try await connection.sendEcho(streamID: 3)
    try await connection.fire(TTRPCServerConnectionHandler.DrainEvent())
    #expect(connection.channel.isActive)

    connection.gate.open()
    var answered: [UInt32] = []
    while answered.count < 2 {
      answered += try await connection.nextResponses().map(\.streamID)
    }
    #expect(answered == [1, 3])
    try await connection.waitUntilClosed()
  }

  @Test("the idle timeout closes a quiet connection but never one with a call in flight")
  func idleTimeout() async throws {
    let connection = try await Self.connect { $0.idleTimeout = .seconds(60) }
    let loop = connection.channel.testingEventLoop
    await loop.advanceTime(by: .seconds(59))
    #expect(connection.channel.isActive)

    try await connection.sendGated(streamID: 1)
    await loop.advanceTime(by: .seconds(300))
    #expect(connection.channel.isActive, "a call in flight is not idleness")

    connection.gate.open()
    _ = try await connection.nextResponses()
    await loop.advanceTime(by: .seconds(59))
    #expect(connection.channel.isActive, "the response restarted the idle time")
    await loop.advanceTime(by: .seconds(62))
    try await connection.waitUntilClosed()
  }

  @Test("a frame dripped slower than the frame timeout closes the connection")
  func slowFrame() async throws {
    let connection = try await Self.connect { $0.frameTimeout = .seconds(10) }
    let loop = connection.channel.testingEventLoop
    let frame = Frames.request(streamID: 1, service: TestServices.service, method: "Echo")
    try await connection.send(Array(frame.prefix(5)))
    await loop.advanceTime(by: .seconds(6))
    try await connection.send(Array(frame.dropFirst(5).prefix(5)))
    await loop.advanceTime(by: .seconds(3))
    #expect(connection.channel.isActive, "the frame's first byte came 9 s ago")
    await loop.advanceTime(by: .seconds(1))
    try await connection.waitUntilClosed()
  }
}
