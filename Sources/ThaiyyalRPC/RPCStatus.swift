public import Logging

/// The outcome of a call as it is sent: a code, a message and details.
///
/// ``RPCStatus/init(error:logger:)`` is the single place where a thrown error becomes what the
/// client sees. ``RPCError`` passes through, ``RPCErrorConvertible`` errors convert, cancellation
/// becomes `CANCELLED`, and everything else becomes `INTERNAL` with a generic message while the real
/// error is logged on the server.
public struct RPCStatus: Hashable, Sendable {
  public var code: RPCError.Code
  public var message: String
  public var details: [RPCError.Detail]

  public init(code: RPCError.Code, message: String, details: [RPCError.Detail] = []) {
    self.code = code
    self.message = message
    self.details = details
  }

  public init(_ error: RPCError) {
    self.init(code: error.code, message: error.message, details: error.details)
  }

  /// Converts any thrown error into the status sent to the client.
  ///
  /// - Parameters:
  ///   - error: What a handler or interceptor threw.
  ///   - logger: Receives the real error when it is not shown to the client.
  public init(error: any Error, logger: Logger) {
    switch error {
    case let rpcError as RPCError:
      self.init(rpcError)
    case let convertible as any RPCErrorConvertible:
      self.init(convertible.rpcError)
    case is CancellationError:
      self.init(code: .cancelled, message: "the call was cancelled")
    default:
      logger.error("unhandled error in call", metadata: ["error": "\(String(reflecting: error))"])
      self.init(code: .internalError, message: "internal error")
    }
  }

  /// The status as an error, for clients that throw on failure.
  public var error: RPCError { RPCError(code, message, details: details) }
}
