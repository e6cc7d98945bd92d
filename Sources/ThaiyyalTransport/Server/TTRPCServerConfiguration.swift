/// Limits and timeouts of a ttrpc server. Every value a client could otherwise push without bound
/// has a limit here.
public struct TTRPCServerConfiguration: Sendable, Hashable {
  /// Largest frame data accepted or sent. At most 4 MiB, the ttrpc default.
  public var maxMessageSize: Int = FrameHeader.defaultMaxMessageSize
  /// Calls running at once on one connection; past it the server stops reading that connection
  /// until a call finishes (backpressure, never dropping).
  public var maxConcurrentCallsPerConnection: Int = 256
  /// Open TCP connections; past it the server stops accepting TCP until one closes.
  public var maxConnections: Int = 1024
  /// Open Unix-socket connections, counted apart from TCP, so that TCP clients can never take the
  /// capacity local clients and the operator need.
  public var maxUnixConnections: Int = 256
  /// Open TCP connections from one address; more are closed as soon as they are accepted.
  public var maxConnectionsPerAddress: Int = 64
  /// A connection with no calls in flight and no complete request for this long is closed (bytes
  /// of an unfinished frame do not count as activity).
  public var idleTimeout: Duration = .seconds(300)
  /// A frame must arrive whole this long after its first byte, or the connection is closed.
  public var frameTimeout: Duration = .seconds(10)
  /// How long a graceful shutdown waits for in-flight calls before closing connections anyway.
  public var drainTimeout: Duration = .seconds(30)
  /// Permissions of the Unix socket file.
  public var socketFileMode: UInt32 = 0o660
  /// A listening Unix socket handed over by the service manager (systemd socket activation):
  /// the Unix address at this path is served from the descriptor instead of being bound, and
  /// its file (systemd's) is neither re-moded nor removed.
  public var inheritedUnixSocket: InheritedSocket?

  /// A listening socket's descriptor and the path it is bound to.
  public struct InheritedSocket: Sendable, Hashable {
    public var descriptor: Int32
    public var path: String

    public init(descriptor: Int32, path: String) {
      self.descriptor = descriptor
      self.path = path
    }
  }

  public init() {}
}
