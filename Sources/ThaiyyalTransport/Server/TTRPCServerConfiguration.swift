/// Limits and timeouts of a ttrpc server. Every value a client could otherwise push without bound
/// has a limit here.
public struct TTRPCServerConfiguration: Sendable, Hashable {
  /// Largest frame data accepted or sent. At most 4 MiB, the ttrpc default.
  public var maxMessageSize: Int = FrameHeader.defaultMaxMessageSize
  /// Calls running at once on one connection; past it the server stops reading that connection
  /// until a call finishes (backpressure, never dropping).
  public var maxConcurrentCallsPerConnection: Int = 256
  /// Open connections across all listeners; past it the server stops accepting until one closes.
  public var maxConnections: Int = 1024
  /// A connection with no calls in flight and no traffic for this long is closed.
  public var idleTimeout: Duration = .seconds(300)
  /// How long a graceful shutdown waits for in-flight calls before closing connections anyway.
  public var drainTimeout: Duration = .seconds(30)
  /// Permissions of the Unix socket file.
  public var socketFileMode: UInt32 = 0o660

  public init() {}
}
