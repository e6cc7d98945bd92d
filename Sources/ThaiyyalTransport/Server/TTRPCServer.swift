public import Logging
import NIOCore
import NIOPosix
import Synchronization
public import ThaiyyalRPC

#if canImport(Glibc)
import Glibc
#endif

/// A ttrpc server listening on any number of Unix sockets and TCP addresses at once.
///
/// ```swift
/// let server = TTRPCServer(table: router.resolve(interceptors: chain), logger: logger)
/// let bound = try await server.start(listeningOn: [.unixDomainSocket(path: "data/thaiyyal.sock")])
/// // ...
/// await server.shutdown()   // stop accepting, finish in-flight calls, close
/// ```
///
/// - Important: Call ``shutdown(graceful:)`` exactly once after a successful ``start(listeningOn:)``;
///   it removes the socket files and stops the event loop the server owns.
public final class TTRPCServer: Sendable {
  private let routes: RouteTable
  private let configuration: TTRPCServerConfiguration
  private let logger: Logger
  private let group: MultiThreadedEventLoopGroup
  /// Log lines of calls refused before any handler, sampled across all connections.
  private let refusals = LogSampler()
  /// TCP connections, in all and per address.
  private let limiter: ConnectionLimiter
  /// Unix-socket connections, counted apart.
  private let unixLimiter: ConnectionLimiter
  private let state = Mutex(State())

  private struct State {
    var listeners: [any Channel] = []
    var socketFiles: [(path: String, inode: UInt64?)] = []
    var connections: [ObjectIdentifier: any Channel] = [:]
    var started = false
    var stopped = false
  }

  /// - Parameters:
  ///   - table: The resolved handlers, interceptors included.
  ///   - configuration: Limits and timeouts.
  ///   - logger: Receives connection-level events.
  ///   - eventLoopThreads: One is enough on a small machine: handlers that do real work run on the
  ///     Swift concurrency pool, not on the event loop.
  public init(
    table: RPCHandlerTable,
    configuration: TTRPCServerConfiguration = TTRPCServerConfiguration(),
    logger: Logger,
    eventLoopThreads: Int = 1
  ) {
    self.routes = RouteTable(table)
    self.configuration = configuration
    self.logger = logger
    self.group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoopThreads)
    self.limiter = ConnectionLimiter(
      maxConnections: configuration.maxConnections,
      maxPerAddress: configuration.maxConnectionsPerAddress
    )
    self.unixLimiter = ConnectionLimiter(
      maxConnections: configuration.maxUnixConnections,
      maxPerAddress: .max
    )
  }

  /// Open connections right now.
  public var openConnections: Int { state.withLock { $0.connections.count } }

  /// Binds every address and starts accepting.
  ///
  /// - Returns: The bound addresses; a TCP port of 0 is replaced by the port chosen.
  /// - Throws: ``TransportError/socketInUse(path:)`` when another server listens on a socket path,
  ///   or the bind error. Listeners bound before the failure are closed again.
  public func start(listeningOn addresses: [BindAddress]) async throws -> [BindAddress] {
    try state.withLock { state in
      guard !state.started else { throw TransportError.alreadyStarted }
      state.started = true
    }
    var bound: [BindAddress] = []
    do {
      for address in addresses {
        bound.append(try await bind(address))
      }
    } catch {
      await shutdown(graceful: false)
      throw error
    }
    return bound
  }

  private func bind(_ address: BindAddress) async throws -> BindAddress {
    switch address {
    case .unixDomainSocket(let path) where configuration.inheritedUnixSocket?.path == path:
      let descriptor = configuration.inheritedUnixSocket!.descriptor
      let channel = try await bootstrap(unixSocket: true).withBoundSocket(descriptor).get()
      state.withLock { $0.listeners.append(channel) }
      logger.info("listening", metadata: ["address": "\(address)", "inherited": "true"])
      return address
    case .unixDomainSocket(let path):
      try UnixSocketFile.prepare(path: path)
      let channel = try await bootstrap(unixSocket: true)
        .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
      let inode = UnixSocketFile.finishBinding(path: path, mode: configuration.socketFileMode)
      state.withLock {
        $0.listeners.append(channel)
        $0.socketFiles.append((path, inode))
      }
      logger.info("listening", metadata: ["address": "\(address)"])
      return address
    case .tcp(let host, let port):
      let channel = try await bootstrap(unixSocket: false).bind(host: host, port: port).get()
      state.withLock { $0.listeners.append(channel) }
      let actual = BindAddress.tcp(host: host, port: channel.localAddress?.port ?? port)
      logger.info("listening", metadata: ["address": "\(actual)"])
      return actual
    }
  }

  private func bootstrap(unixSocket: Bool) -> ServerBootstrap {
    let limiter = unixSocket ? unixLimiter : self.limiter
    var bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 256)
      .serverChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(AcceptGateHandler(limiter: limiter))
        }
      }
      .childChannelOption(.maxMessagesPerRead, value: 8)
      // A client that shuts its side for writing still gets the answers to what it sent.
      .childChannelOption(.allowRemoteHalfClosure, value: true)
      .childChannelInitializer { [self] channel in
        self.initializeConnection(channel, unixSocket: unixSocket)
      }
    if unixSocket {
      bootstrap = bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 0)
    } else {
      bootstrap =
        bootstrap
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    }
    return bootstrap
  }

  private func initializeConnection(
    _ channel: any Channel,
    unixSocket: Bool
  ) -> EventLoopFuture<Void> {
    let registered = state.withLock { state -> Bool in
      guard !state.stopped else { return false }
      state.connections[ObjectIdentifier(channel)] = channel
      return true
    }
    guard registered else {
      return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
    }
    channel.closeFuture.whenComplete { [self] _ in
      _ = self.state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }
    let peer: EventLoopFuture<Peer>
    if unixSocket {
      peer = Self.peerCredentials(of: channel).map { Peer.unixSocket($0) }
    } else {
      peer = channel.eventLoop.makeSucceededFuture(
        .tcp(address: channel.remoteAddress.map(Self.describe) ?? "unknown")
      )
    }
    let routes = self.routes
    let configuration = self.configuration
    let baseLogger = self.logger
    let refusals = self.refusals
    return peer.flatMapThrowing { peer in
      var logger = baseLogger
      logger[metadataKey: "peer"] = "\(peer)"
      let sync = channel.pipeline.syncOperations
      try sync.addHandler(
        TTRPCServerConnectionHandler(
          routes: routes,
          configuration: configuration,
          peer: peer,
          logger: logger,
          refusals: refusals
        )
      )
    }
  }

  private static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials?>
  {
    #if canImport(Glibc)
    guard let provider = channel as? any SocketOptionProvider else {
      return channel.eventLoop.makeSucceededFuture(nil)
    }
    // `struct ucred` of <sys/socket.h>, which Glibc's module map hides behind _GNU_SOURCE.
    struct UCred: Sendable {
      var pid: Int32 = 0
      var uid: UInt32 = 0
      var gid: UInt32 = 0
    }
    let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
      level: SocketOptionLevel(SOL_SOCKET),
      name: SocketOptionName(SO_PEERCRED)
    )
    return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) as PeerCredentials? }
      .recover { _ in PeerCredentials?.none }
    #else
    return channel.eventLoop.makeSucceededFuture(nil)
    #endif
  }

  private static func describe(_ address: SocketAddress) -> String {
    guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
    return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
  }

  /// Stops the server.
  ///
  /// Graceful: stop accepting, let every connection finish its in-flight calls (answering what it
  /// has already received), then close it; connections still busy after the drain timeout are
  /// closed anyway. Not graceful: close everything now.
  public func shutdown(graceful: Bool = true) async {
    let (listeners, socketFiles) = state.withLock { state in
      state.stopped = true
      defer {
        state.listeners = []
        state.socketFiles = []
      }
      return (state.listeners, state.socketFiles)
    }
    for listener in listeners {
      try? await listener.close()
    }
    for file in socketFiles {
      UnixSocketFile.remove(path: file.path, inode: file.inode)
    }
    let connections = state.withLock { Array($0.connections.values) }
    if graceful {
      for connection in connections {
        connection.pipeline.fireUserInboundEventTriggered(TTRPCServerConnectionHandler.DrainEvent())
      }
      await withTaskGroup(of: Void.self) { group in
        group.addTask {
          for connection in connections { try? await connection.closeFuture.get() }
        }
        group.addTask { [configuration, logger] in
          guard (try? await Task.sleep(for: configuration.drainTimeout)) != nil else { return }
          logger.warning("drain timeout passed; closing busy connections")
          for connection in connections { connection.close(promise: nil) }
        }
        await group.next()
        group.cancelAll()
      }
    }
    for connection in state.withLock({ Array($0.connections.values) }) {
      try? await connection.close()
    }
    try? await group.shutdownGracefully()
  }
}

extension TimeAmount {
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
