/// Carries one unary call from a client stub to a server and back.
///
/// Generated client stubs are generic over it: the ttrpc connection in `ThaiyyalTransport` for real
/// sockets, ``InProcessTransport`` for tests that need no sockets.
public protocol ClientTransport: Sendable {
  /// Sends an encoded request and returns the encoded response.
  ///
  /// - Throws: ``RPCError`` with the server's status, or `UNAVAILABLE` when the server cannot be
  ///   reached.
  func unary(
    _ descriptor: MethodDescriptor,
    payload: [UInt8],
    options: CallOptions
  ) async throws -> [UInt8]
}

/// Per-call options a client sets.
public struct CallOptions: Sendable {
  /// Sent as metadata.
  public var metadata: Metadata
  /// Sent as `timeout_nano`; the server answers `DEADLINE_EXCEEDED` when it passes.
  public var timeout: Duration?

  public init(metadata: Metadata = [:], timeout: Duration? = nil) {
    self.metadata = metadata
    self.timeout = timeout
  }

  public static var `default`: CallOptions { CallOptions() }
}
