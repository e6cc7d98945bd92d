import Logging
import NIOCore
import Synchronization
import ThaiyyalRPC

/// Serves ttrpc calls on one connection: framing, envelope decoding, routing, concurrency limits
/// and write batching, all on the connection's event loop.
///
/// This is the hot path (DESIGN.md, "Serving fast"). Each call's handler starts with
/// `Task.immediate`, so a handler that never suspends finishes inside `channelRead` and its
/// response joins the batch that is flushed once in `channelReadComplete`. A handler that suspends
/// finishes elsewhere and hands its encoded response to the ``Outbox``; only the first response
/// into an empty outbox schedules a hop back to the event loop, and each drain flushes once.
///
/// At most `maxConcurrentCallsPerConnection` calls run at once. Past that, decoded requests wait
/// and the handler withholds `read()`, so the kernel's buffers fill and the client slows down;
/// nothing is dropped.
final class TTRPCServerConnectionHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  /// Sent down the pipeline to start a graceful close: finish in-flight calls, then close.
  struct DrainEvent: Sendable {}

  private let routes: RouteTable
  private let configuration: TTRPCServerConfiguration
  private let peer: Peer
  private let logger: Logger
  private let processor: NIOSingleStepByteToMessageProcessor<FrameDecoder>
  private let outbox = Outbox()
  /// Samples the log lines of calls refused before any handler (unknown service or method, bad
  /// envelope), as the interceptor chain samples refused calls.
  private let refusals: LogSampler

  private var context: ChannelHandlerContext!
  private var inFlight = 0
  private var waiting = CircularBuffer<(streamID: UInt32, data: ByteBuffer)>()
  private var readHeld = false
  private var inReadBurst = false
  private var needsFlush = false
  /// Responses encoded on the event loop since the last flush, written as one buffer.
  private var batch: ByteBuffer?
  private var draining = false
  /// When the connection last received a whole request or wrote, for the idle timeout. Bytes of
  /// an unfinished frame do not count: a client dripping them stays idle.
  private var lastActivity = NIODeadline.now()
  /// Whether this read burst brought a whole frame: the clock is read once per burst, not per
  /// frame.
  private var receivedFrame = false
  private var idleCheck: Scheduled<Void>?
  /// When the first byte of a frame that has not arrived whole came, and the check that closes
  /// the connection if it is still not whole by the frame timeout.
  private var partialFrameSince: NIODeadline?
  private var frameCheck: Scheduled<Void>?
  /// The route of the previous call; clients usually repeat a method, and comparing two short
  /// byte strings is cheaper than hashing them.
  private var lastRoute: RouteTable.Route?
  /// Calls that suspended and are still running, so they can be cancelled when the connection
  /// goes away. Calls that finish inside `channelRead` are never entered here.
  private var running: [UInt32: Task<Void, Never>] = [:]
  /// The stream of the call that just completed on the event loop, to tell an inline completion.
  private var completedInline: UInt32?

  init(
    routes: RouteTable,
    configuration: TTRPCServerConfiguration,
    peer: Peer,
    logger: Logger,
    refusals: LogSampler
  ) {
    self.refusals = refusals
    self.routes = routes
    self.configuration = configuration
    self.peer = peer
    self.logger = logger
    self.processor = NIOSingleStepByteToMessageProcessor(
      FrameDecoder(maxMessageSize: configuration.maxMessageSize)
    )
  }

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    scheduleIdleCheck(at: lastActivity + TimeAmount(configuration.idleTimeout))
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    idleCheck?.cancel()
    idleCheck = nil
    frameCheck?.cancel()
    frameCheck = nil
    self.context = nil
  }

  // MARK: Inbound

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    inReadBurst = true
    do {
      try processor.process(buffer: unwrapInboundIn(data)) { frame in
        receive(frame)
      }
    } catch {
      logger.debug("closing connection after a framing error", metadata: ["error": "\(error)"])
      context.close(promise: nil)
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    inReadBurst = false
    if receivedFrame {
      receivedFrame = false
      lastActivity = .now()
    }
    if processor.unprocessedBytes == 0 {
      partialFrameSince = nil
    } else if partialFrameSince == nil {
      let now = NIODeadline.now()
      partialFrameSince = now
      scheduleFrameCheck(at: now + TimeAmount(configuration.frameTimeout))
    }
    flushIfNeeded()
    context.fireChannelReadComplete()
  }

  /// Closes the connection when a frame started at `partialFrameSince` has not arrived whole by
  /// the frame timeout; a frame that completed in time clears it.
  private func scheduleFrameCheck(at deadline: NIODeadline) {
    guard let context else { return }
    frameCheck?.cancel()
    let this = NIOLoopBound(self, eventLoop: context.eventLoop)
    frameCheck = context.eventLoop.scheduleTask(deadline: deadline) { this.value.checkFrame() }
  }

  private func checkFrame() {
    guard let context, let since = partialFrameSince else { return }
    let deadline = since + TimeAmount(configuration.frameTimeout)
    if NIODeadline.now() >= deadline {
      logger.debug("closing connection: a frame did not arrive whole in time")
      context.close(promise: nil)
    } else {
      scheduleFrameCheck(at: deadline)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    // A frame cut short by EOF is dropped; the connection is gone either way.
    try? processor.finishProcessing(seenEOF: true) { _ in }
    waiting.removeAll()
    outbox.close()
    for task in running.values { task.cancel() }
    running.removeAll()
    idleCheck?.cancel()
    idleCheck = nil
    frameCheck?.cancel()
    frameCheck = nil
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    logger.debug("connection error", metadata: ["error": "\(error)"])
    context.close(promise: nil)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    switch event {
    case is DrainEvent:
      draining = true
      closeIfDrained()
    default:
      context.fireUserInboundEventTriggered(event)
    }
  }

  /// Closes the connection once it has had no traffic and no call in flight for the idle timeout.
  /// One timer per connection, moved forward lazily, so calls pay nothing for it.
  private func scheduleIdleCheck(at deadline: NIODeadline) {
    guard let context else { return }
    let this = NIOLoopBound(self, eventLoop: context.eventLoop)
    idleCheck = context.eventLoop.scheduleTask(deadline: deadline) { this.value.checkIdle() }
  }

  private func checkIdle() {
    guard let context else { return }
    let timeout = TimeAmount(configuration.idleTimeout)
    let idleSince = lastActivity
    if inFlight == 0 && waiting.isEmpty && NIODeadline.now() >= idleSince + timeout {
      logger.debug("closing idle connection")
      context.close(promise: nil)
    } else if inFlight > 0 || !waiting.isEmpty {
      // Busy: look again a whole timeout later rather than polling.
      scheduleIdleCheck(at: .now() + timeout)
    } else {
      scheduleIdleCheck(at: max(idleSince + timeout, .now() + .milliseconds(10)))
    }
  }

  // MARK: Outbound

  func read(context: ChannelHandlerContext) {
    if draining || inFlight >= configuration.maxConcurrentCallsPerConnection || !waiting.isEmpty {
      readHeld = true
    } else {
      context.read()
    }
  }

  // MARK: Calls

  private func receive(_ frame: Frame) {
    receivedFrame = true
    // A whole frame arrived; a later one gets its own deadline from its first byte.
    partialFrameSince = nil
    switch frame {
    case .oversized(let header):
      let status = RPCStatus(
        code: .resourceExhausted,
        message:
          "message length \(header.length) exceeds maximum message size of \(configuration.maxMessageSize)"
      )
      fail(streamID: header.streamID, status)
    case .message(let header, let data):
      guard header.type == .request else {
        logger.debug("ignoring frame that is not a request", metadata: ["type": "\(header.type)"])
        return
      }
      guard header.streamID & 1 == 1 else {
        fail(
          streamID: header.streamID,
          RPCStatus(
            code: .invalidArgument,
            message: "stream id \(header.streamID) must be odd for client-initiated streams"
          )
        )
        return
      }
      guard running[header.streamID] == nil else {
        fail(
          streamID: header.streamID,
          RPCStatus(
            code: .invalidArgument,
            message: "stream id \(header.streamID) is already in use"
          )
        )
        return
      }
      if inFlight >= configuration.maxConcurrentCallsPerConnection || !waiting.isEmpty {
        waiting.append((header.streamID, data))
      } else {
        start(streamID: header.streamID, data: data)
      }
    }
  }

  private func start(streamID: UInt32, data: ByteBuffer) {
    let envelope: RequestEnvelope
    let route: RouteTable.Route
    do {
      envelope = try RequestEnvelope(decoding: data)
      if let lastRoute, lastRoute.matches(service: envelope.service, method: envelope.method) {
        route = lastRoute
      } else {
        route = try routes.route(service: envelope.service, method: envelope.method)
        lastRoute = route
      }
    } catch {
      let status = RPCStatus(error)
      refusals.sample { suppressed in
        logger.info(
          "call failed",
          metadata: ["code": "\(status.code)", "reason": "\(status.message.prefix(200))"].noting(
            suppressed: suppressed
          )
        )
      }
      fail(streamID: streamID, status)
      return
    }
    let deadline: ContinuousClock.Instant? =
      envelope.timeoutNanos > 0 ? .now.advanced(by: .nanoseconds(envelope.timeoutNanos)) : nil
    let callContext = ServerContext(
      descriptor: route.descriptor,
      metadata: envelope.metadata,
      peer: peer,
      deadline: deadline,
      logger: logger
    )
    let payload = Array(buffer: envelope.payload)
    let handler = route.handler

    inFlight += 1
    let eventLoop = context.eventLoop
    let this = NIOLoopBound(self, eventLoop: eventLoop)
    let outbox = self.outbox
    let allocator = context.channel.allocator
    let maxMessageSize = configuration.maxMessageSize
    completedInline = nil
    let task = Task.immediate {
      let outcome: ResponseEnvelope.Outcome
      do {
        outcome = .success(try await handler(payload, callContext))
      } catch {
        outcome = .failure(RPCStatus(error: error, logger: callContext.logger))
      }
      if eventLoop.inEventLoop {
        this.value.completed(streamID: streamID, outcome)
        return
      }
      var response = allocator.buffer(capacity: 64)
      ResponseEnvelope.write(
        outcome,
        streamID: streamID,
        maxMessageSize: maxMessageSize,
        into: &response
      )
      if outbox.append(streamID: streamID, response) {
        eventLoop.execute { this.value.drainOutbox() }
      }
    }
    if completedInline != streamID {
      running[streamID] = task
    }
  }

  /// Encodes a response into this flush's batch.
  private func appendToBatch(_ encode: (inout ByteBuffer) -> Void) {
    guard let context else { return }
    if batch == nil { batch = context.channel.allocator.buffer(capacity: 1024) }
    encode(&batch!)
    needsFlush = true
    if !inReadBurst { flushIfNeeded() }
  }

  private func fail(streamID: UInt32, _ status: RPCStatus) {
    appendToBatch { ResponseEnvelope.writeFailure(streamID: streamID, status: status, into: &$0) }
  }

  /// A call finished on the event loop.
  private func completed(streamID: UInt32, _ outcome: ResponseEnvelope.Outcome) {
    inFlight -= 1
    completedInline = streamID
    running.removeValue(forKey: streamID)
    let maxMessageSize = configuration.maxMessageSize
    appendToBatch {
      ResponseEnvelope.write(outcome, streamID: streamID, maxMessageSize: maxMessageSize, into: &$0)
    }
    resumeWaiting()
  }

  /// Calls finished elsewhere; write all their responses and flush once.
  private func drainOutbox() {
    let responses = outbox.takeAll()
    inFlight -= responses.count
    guard let context else { return }
    for (streamID, response) in responses {
      running.removeValue(forKey: streamID)
      context.write(wrapOutboundOut(response), promise: nil)
    }
    needsFlush = true
    if !inReadBurst { flushIfNeeded() }
    resumeWaiting()
  }

  private func resumeWaiting() {
    while !waiting.isEmpty && inFlight < configuration.maxConcurrentCallsPerConnection {
      let next = waiting.removeFirst()
      start(streamID: next.streamID, data: next.data)
    }
    if readHeld && waiting.isEmpty && !draining
      && inFlight < configuration.maxConcurrentCallsPerConnection
    {
      readHeld = false
      context?.read()
    }
    closeIfDrained()
  }

  private func flushIfNeeded() {
    guard needsFlush, let context else { return }
    needsFlush = false
    lastActivity = .now()
    if let batch {
      self.batch = nil
      context.write(wrapOutboundOut(batch), promise: nil)
    }
    context.flush()
  }

  private func closeIfDrained() {
    guard draining, inFlight == 0, waiting.isEmpty, let context else { return }
    flushIfNeeded()
    context.close(promise: nil)
  }
}

/// Responses of calls that finished off the event loop, waiting for the loop to write them.
final class Outbox: Sendable {
  private let state = Mutex<(responses: [(UInt32, ByteBuffer)], closed: Bool)>(([], false))

  /// Adds a response; returns `true` when the outbox was empty, i.e. the caller must schedule a
  /// drain on the event loop. Once the connection has closed, responses are dropped and nothing
  /// is scheduled, so a late call never touches an event loop that may have shut down.
  func append(streamID: UInt32, _ response: ByteBuffer) -> Bool {
    state.withLock { state in
      guard !state.closed else { return false }
      state.responses.append((streamID, response))
      return state.responses.count == 1
    }
  }

  func takeAll() -> [(UInt32, ByteBuffer)] {
    state.withLock { state in
      defer { state.responses = [] }
      return state.responses
    }
  }

  /// Called on the event loop when the connection goes away.
  func close() {
    state.withLock { state in
      state.closed = true
      state.responses = []
    }
  }
}
