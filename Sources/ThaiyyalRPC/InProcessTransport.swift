public import Logging

/// A client transport that calls a resolved handler table directly, with no sockets or encoding of
/// envelopes, so service tests run fast and deterministically.
///
/// It goes through the same interceptors and the same error conversion as a real connection.
public struct InProcessTransport: ClientTransport {
  private let table: RPCHandlerTable
  private let logger: Logger
  private let peer: Peer

  /// - Parameter peer: Who the calls appear to come from; `.inProcess` by default. Tests pass a TCP
  ///   peer to act as a remote, untrusted caller.
  public init(
    table: RPCHandlerTable,
    peer: Peer = .inProcess,
    logger: Logger = Logger(label: "thaiyyal.inprocess")
  ) {
    self.table = table
    self.peer = peer
    self.logger = logger
  }

  public func unary(
    _ descriptor: MethodDescriptor,
    payload: [UInt8],
    options: CallOptions
  ) async throws -> [UInt8] {
    let deadline = options.timeout.map { ContinuousClock.now.advanced(by: $0) }
    let context = ServerContext(
      descriptor: descriptor,
      metadata: options.metadata,
      peer: peer,
      deadline: deadline,
      logger: logger
    )
    do {
      let handler = try table.handler(service: descriptor.service, method: descriptor.method)
      return try await handler(payload, context)
    } catch {
      throw RPCStatus(error: error, logger: context.logger).error
    }
  }
}
