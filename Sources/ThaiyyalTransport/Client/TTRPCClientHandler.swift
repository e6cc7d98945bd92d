import NIOCore
import ThaiyyalRPC

/// One call handed to a client connection's event loop.
struct OutboundCall: Sendable {
  var descriptor: MethodDescriptor
  var payload: [UInt8]
  var options: CallOptions
  var response: EventLoopPromise<ResponseEnvelope.Outcome>
}

/// Multiplexes calls over one client connection: assigns odd stream ids (1, 3, 5, ... as the Go
/// client does), encodes requests, and completes each call when its response arrives, in whatever
/// order the server answers.
final class TTRPCClientHandler: ChannelDuplexHandler {
  typealias InboundIn = Frame
  typealias OutboundIn = OutboundCall
  typealias OutboundOut = ByteBuffer

  private let maxMessageSize: Int
  private var nextStreamID: UInt32 = 1
  private var pending: [UInt32: EventLoopPromise<ResponseEnvelope.Outcome>] = [:]
  private var closed = false

  init(maxMessageSize: Int) {
    self.maxMessageSize = maxMessageSize
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let call = unwrapOutboundIn(data)
    guard !closed else {
      call.response.fail(ConnectionError("connection closed"))
      promise?.succeed()
      return
    }
    let streamID = nextStreamID
    nextStreamID &+= 2
    var buffer = context.channel.allocator.buffer(
      capacity: FrameHeader.size + 64 + call.payload.count
    )
    buffer.moveWriterIndex(forwardBy: FrameHeader.size)
    let timeoutNanos = call.options.timeout.map { Self.nanoseconds($0) } ?? 0
    RequestEnvelope.encode(
      service: call.descriptor.service,
      method: call.descriptor.method,
      payload: call.payload,
      timeoutNanos: timeoutNanos,
      metadata: call.options.metadata,
      into: &buffer
    )
    let length = buffer.readableBytes - FrameHeader.size
    guard length <= maxMessageSize else {
      call.response.fail(
        RPCError(
          .resourceExhausted,
          "message length \(length) exceeds maximum message size of \(maxMessageSize)"
        )
      )
      promise?.succeed()
      return
    }
    buffer.setInteger(UInt32(length), at: 0)
    buffer.setInteger(streamID, at: 4)
    buffer.setInteger(FrameType.request.rawValue, at: 8)
    buffer.setInteger(UInt8(0), at: 9)
    pending[streamID] = call.response
    if let timeout = call.options.timeout {
      let response = call.response
      let this = NIOLoopBound(self, eventLoop: context.eventLoop)
      // The server enforces the deadline too; this covers a server that never answers.
      context.eventLoop.scheduleTask(in: TimeAmount.nanoseconds(timeoutNanos) + .milliseconds(250))
      {
        if this.value.pending.removeValue(forKey: streamID) != nil {
          response.fail(RPCError(.deadlineExceeded, "no response within \(timeout)"))
        }
      }
    }
    context.write(wrapOutboundOut(buffer), promise: promise)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .oversized(let header):
      pending.removeValue(forKey: header.streamID)?.fail(
        RPCError(
          .resourceExhausted,
          "response length \(header.length) exceeds maximum message size of \(maxMessageSize)"
        )
      )
    case .message(let header, let data):
      guard header.type == .response, let promise = pending.removeValue(forKey: header.streamID)
      else { return }
      do {
        promise.succeed(try ResponseEnvelope.decode(data))
      } catch {
        promise.fail(error)
      }
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    closed = true
    let calls = pending
    pending = [:]
    for (_, promise) in calls {
      promise.fail(ConnectionError("connection closed before the server answered"))
    }
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }

  /// `duration` as ttrpc's `timeout_nano`: at least 1 (0 means "no timeout"), saturating.
  private static func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    guard seconds < Int64.max / 1_000_000_000 else { return .max }
    return max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
