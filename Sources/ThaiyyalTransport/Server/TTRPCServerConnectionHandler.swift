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
/// The connection's rules (concurrency and backpressure, idle and frame timeouts, drain and
/// half-close) live in ``ServerConnectionStateMachine``; this handler feeds it events and performs
/// the actions it answers. At most `maxConcurrentCallsPerConnection` calls run at once. Past that,
/// requests wait and the handler withholds `read()`, so the kernel's buffers fill and the client
/// slows down; nothing is dropped.
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
  private var state: ServerConnectionStateMachine
  private var inReadBurst = false
  private var needsFlush = false
  /// Responses encoded on the event loop since the last flush, written as one buffer.
  private var batch: ByteBuffer?
  /// Whether this read burst brought a whole frame: the clock is read once per burst, not per
  /// frame.
  private var receivedFrame = false
  private var idleCheck: Scheduled<Void>?
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
    // Replaced with the event loop's time when the handler is added.
    self.state = ServerConnectionStateMachine(limits: Self.limits(configuration), now: .now())
  }

  static func limits(
    _ configuration: TTRPCServerConfiguration
  ) -> ServerConnectionStateMachine.Limits {
    .init(
      maxConcurrentCalls: configuration.maxConcurrentCallsPerConnection,
      idleTimeout: TimeAmount(configuration.idleTimeout),
      frameTimeout: TimeAmount(configuration.frameTimeout)
    )
  }

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    state = ServerConnectionStateMachine(limits: state.limits, now: context.eventLoop.now)
    schedule(.idle, at: state.firstIdleCheck)
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    cancelTimers()
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
    let eventLoop = context.eventLoop
    if let deadline = state.readBurstEnded(
      receivedFrame: receivedFrame,
      unprocessedBytes: processor.unprocessedBytes,
      now: { eventLoop.now }
    ) {
      schedule(.frame, at: deadline)
    }
    receivedFrame = false
    flushIfNeeded()
    context.fireChannelReadComplete()
  }

  func channelInactive(context: ChannelHandlerContext) {
    // A frame cut short by EOF is dropped; the connection is gone either way.
    try? processor.finishProcessing(seenEOF: true) { _ in }
    state.closed()
    outbox.close()
    for task in running.values { task.cancel() }
    running.removeAll()
    cancelTimers()
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    logger.debug("connection error", metadata: ["error": "\(error)"])
    context.close(promise: nil)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    switch event {
    case is DrainEvent:
      state.drain()
      performActions()
    case ChannelEvent.inputClosed:
      // The client sends nothing more; a frame it left unfinished never will be.
      try? processor.finishProcessing(seenEOF: true) { frame in receive(frame) }
      state.inputClosed()
      flushIfNeeded()
      performActions()
    default:
      context.fireUserInboundEventTriggered(event)
    }
  }

  // MARK: Timers

  /// The connection's two timers. The idle timer is one per connection, moved forward lazily, so
  /// calls pay nothing for it; the frame timer runs while a frame that began has not arrived whole.
  private enum Timer {
    case idle, frame
  }

  private func schedule(_ timer: Timer, at deadline: NIODeadline) {
    guard let context else { return }
    let this = NIOLoopBound(self, eventLoop: context.eventLoop)
    let scheduled = context.eventLoop.scheduleTask(deadline: deadline) { this.value.due(timer) }
    switch timer {
    case .idle: idleCheck = scheduled
    case .frame:
      frameCheck?.cancel()
      frameCheck = scheduled
    }
  }

  private func due(_ timer: Timer) {
    guard let context else { return }
    let now = context.eventLoop.now
    let verdict = timer == .idle ? state.idleCheckDue(now: now) : state.frameCheckDue(now: now)
    switch verdict {
    case .close:
      logger.debug(
        timer == .idle
          ? "closing idle connection" : "closing connection: a frame did not arrive whole in time"
      )
      context.close(promise: nil)
    case .checkAgain(let deadline):
      schedule(timer, at: deadline)
    case .stop:
      break
    }
  }

  private func cancelTimers() {
    idleCheck?.cancel()
    idleCheck = nil
    frameCheck?.cancel()
    frameCheck = nil
  }

  // MARK: Outbound

  func read(context: ChannelHandlerContext) {
    if state.readRequested() { context.read() }
  }

  // MARK: Calls

  private func receive(_ frame: Frame) {
    receivedFrame = true
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
      switch state.requestReceived(streamID: header.streamID, request: data) {
      case .start:
        start(streamID: header.streamID, data: data)
      case .wait, .ignore:
        break
      case .refuse(let refusal):
        fail(streamID: header.streamID, refusal.status(streamID: header.streamID))
      }
    }
  }

  /// Starts a call the state machine counts as in flight.
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
      state.callFinished(streamID: streamID)
      fail(streamID: streamID, status)
      performActions()
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
    state.callFinished(streamID: streamID)
    completedInline = streamID
    running.removeValue(forKey: streamID)
    let maxMessageSize = configuration.maxMessageSize
    appendToBatch {
      ResponseEnvelope.write(outcome, streamID: streamID, maxMessageSize: maxMessageSize, into: &$0)
    }
    performActions()
  }

  /// Calls finished elsewhere; write all their responses and flush once.
  private func drainOutbox() {
    let responses = outbox.takeAll()
    guard let context else { return }
    for (streamID, response) in responses {
      state.callFinished(streamID: streamID)
      running.removeValue(forKey: streamID)
      context.write(wrapOutboundOut(response), promise: nil)
    }
    needsFlush = true
    if !inReadBurst { flushIfNeeded() }
    performActions()
  }

  /// Does what the state machine asks until it asks for nothing.
  private func performActions() {
    while let action = state.nextAction() {
      switch action {
      case .start(let streamID, let request):
        start(streamID: streamID, data: request)
      case .resumeReading:
        context?.read()
      case .close:
        flushIfNeeded()
        context?.close(promise: nil)
      }
    }
  }

  private func flushIfNeeded() {
    guard needsFlush, let context else { return }
    needsFlush = false
    state.wrote(at: context.eventLoop.now)
    if let batch {
      self.batch = nil
      context.write(wrapOutboundOut(batch), promise: nil)
    }
    context.flush()
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
