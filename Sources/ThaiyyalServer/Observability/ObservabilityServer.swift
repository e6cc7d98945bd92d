import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The operator's HTTP/1.1 listener (`observability.http`, `--http`): Prometheus scrapes
/// `/metrics`, orchestrators probe `/healthz` and `/readyz` (``ObservabilityRoutes``). Off by
/// default. It has no authentication, and `/metrics` names tenants: bind it to loopback or a
/// network only the operator's tools reach.
///
/// Bounded like the RPC listener: at most ``maxConnections`` connections, a connection idle for
/// ``idleTimeout`` is closed, one request per connection, request bodies are ignored, and NIO's
/// decoder limits the request head's size.
struct ObservabilityServer: Service {
  let host: String
  let port: Int
  let routes: ObservabilityRoutes
  let logger: Logger
  /// Resolved with the address once listening (the port, when 0 was asked for).
  let listening: OneShot<SocketAddress>?

  static let maxConnections = 64
  static let idleTimeout = TimeAmount.seconds(10)

  func run() async throws {
    let open = Atomic<Int>(0)
    let routes = self.routes
    let channel: any Channel
    do {
      channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 64)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
          guard open.add(1, ordering: .relaxed).newValue <= Self.maxConnections else {
            open.subtract(1, ordering: .relaxed)
            return channel.close()
          }
          channel.closeFuture.whenComplete { _ in open.subtract(1, ordering: .relaxed) }
          return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
            try pipeline.addHandler(IdleStateHandler(allTimeout: Self.idleTimeout))
            try pipeline.addHandler(ObservabilityHTTPHandler(routes: routes))
          }
        }
        .bind(host: host, port: port)
        .get()
    } catch {
      listening?.resolve(.failure(error))
      throw error
    }
    if let address = channel.localAddress {
      listening?.resolve(.success(address))
      logger.notice("observability endpoint listening", metadata: ["address": "\(address)"])
    }
    try? await gracefulShutdown()
    try? await channel.close()
  }
}

/// One request per connection: reads the head, answers from ``ObservabilityRoutes``, closes.
private final class ObservabilityHTTPHandler: ChannelDuplexHandler, @unchecked Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundIn = Never
  typealias OutboundOut = HTTPServerResponsePart

  private let routes: ObservabilityRoutes
  private var head: HTTPRequestHead?
  private var answered = false

  init(routes: ObservabilityRoutes) { self.routes = routes }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      self.head = head
    case .body:
      break
    case .end:
      guard let head, !answered else { return }
      answered = true
      let routes = self.routes
      let promise = context.eventLoop.makePromise(of: ObservabilityRoutes.Response.self)
      promise.completeWithTask { await routes.respond(method: head.method.rawValue, uri: head.uri) }
      let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
      promise.futureResult.whenSuccess { response in
        Self.write(response, head: head, to: bound.value)
      }
    }
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      context.close(promise: nil)
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }

  private static func write(
    _ response: ObservabilityRoutes.Response,
    head: HTTPRequestHead,
    to context: ChannelHandlerContext
  ) {
    var body = context.channel.allocator.buffer(capacity: response.body.utf8.count)
    body.writeString(response.body)
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: response.contentType)
    headers.add(name: "Content-Length", value: String(body.readableBytes))
    headers.add(name: "Connection", value: "close")
    let status = HTTPResponseStatus(statusCode: response.status)
    context.write(
      NIOAny(
        HTTPServerResponsePart.head(
          HTTPResponseHead(version: head.version, status: status, headers: headers)
        )
      ),
      promise: nil
    )
    if head.method != .HEAD {
      context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
    }
    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
      bound.value.close(promise: nil)
    }
  }
}
