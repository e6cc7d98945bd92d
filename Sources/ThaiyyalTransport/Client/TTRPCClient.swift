public import NIOCore
public import NIOPosix
import Synchronization
public import ThaiyyalRPC

/// A ttrpc client connection that many calls share at once.
///
/// It connects on first use, reconnects after the connection is lost, and multiplexes every call
/// over the one connection, so concurrent callers pay no connection set-up.
///
/// ```swift
/// let client = TTRPCClient(target: .unixDomainSocket(path: "data/thaiyyal.sock"))
/// let health = Thaiyyal_V1_Health.Client(transport: client)
/// let answer = try await health.check()
/// ```
public final class TTRPCClient: ClientTransport {
  public let target: BindAddress
  private let maxMessageSize: Int
  private let group: any EventLoopGroup
  private let connection = Mutex<Connection>(.idle)

  private enum Connection {
    case idle
    case connecting(EventLoopFuture<any Channel>)
    case ready(any Channel)
    case closed
  }

  public init(
    target: BindAddress,
    maxMessageSize: Int = FrameHeader.defaultMaxMessageSize,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.target = target
    self.maxMessageSize = maxMessageSize
    self.group = group
  }

  public func unary(
    _ descriptor: MethodDescriptor,
    payload: [UInt8],
    options: CallOptions
  ) async throws -> [UInt8] {
    let channel = try await connectedChannel()
    let response = channel.eventLoop.makePromise(of: ResponseEnvelope.Outcome.self)
    let written = channel.eventLoop.makePromise(of: Void.self)
    written.futureResult.whenFailure { _ in
      response.fail(ConnectionError("connection closed before the request was sent"))
    }
    channel.writeAndFlush(
      OutboundCall(descriptor: descriptor, payload: payload, options: options, response: response),
      promise: written
    )
    let outcome = try await withTaskCancellationHandler {
      try await response.futureResult.get()
    } onCancel: {
      response.fail(CancellationError())
    }
    switch outcome {
    case .success(let bytes): return bytes
    case .failure(let status): throw status.error
    }
  }

  /// Closes the connection; later calls fail with `UNAVAILABLE`.
  public func close() async {
    let channel: (any Channel)? = connection.withLock { state in
      defer { state = .closed }
      if case .ready(let channel) = state { return channel }
      return nil
    }
    try? await channel?.close()
  }

  private func connectedChannel() async throws -> any Channel {
    let future: EventLoopFuture<any Channel> = try connection.withLock { state in
      switch state {
      case .ready(let channel) where channel.isActive:
        return channel.eventLoop.makeSucceededFuture(channel)
      case .connecting(let future):
        return future
      case .closed:
        throw ConnectionError("the client was closed")
      case .idle, .ready:
        let future = connect()
        state = .connecting(future)
        return future
      }
    }
    let channel: any Channel
    do {
      channel = try await future.get()
    } catch {
      connection.withLock { state in
        if case .connecting = state { state = .idle }
      }
      throw ConnectionError("cannot connect to \(target): \(error)")
    }
    let closedMeanwhile = connection.withLock { state -> Bool in
      switch state {
      case .connecting:
        state = .ready(channel)
        return false
      case .closed:
        return true
      default:
        return false
      }
    }
    if closedMeanwhile {
      // close() ran while we connected: do not leak the connection.
      channel.close(promise: nil)
      throw ConnectionError("the client was closed")
    }
    return channel
  }

  private func connect() -> EventLoopFuture<any Channel> {
    let maxMessageSize = self.maxMessageSize
    var bootstrap = ClientBootstrap(group: group)
      .connectTimeout(.seconds(10))
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          let sync = channel.pipeline.syncOperations
          try sync.addHandler(ByteToMessageHandler(FrameDecoder(maxMessageSize: maxMessageSize)))
          try sync.addHandler(TTRPCClientHandler(maxMessageSize: maxMessageSize))
        }
      }
    switch target {
    case .unixDomainSocket(let path):
      return bootstrap.connect(unixDomainSocketPath: path)
    case .tcp(let host, let port):
      bootstrap = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
      return bootstrap.connect(host: host, port: port)
    }
  }
}
