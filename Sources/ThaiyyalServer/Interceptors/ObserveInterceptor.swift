import Logging
import ThaiyyalRPC

/// The first link of the chain: tags the call's logger with its request id and method, and writes
/// one log line per call with its outcome and duration.
///
/// Successful calls log at `debug` so a busy server stays quiet; failures log at `info`, and
/// `INTERNAL` at `error`. Only ids reach the log, never payloads or metadata values.
struct ObserveInterceptor: ServerInterceptor {
  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    var context = context
    context.logger[metadataKey: "request-id"] = .string(context.requestID)
    context.logger[metadataKey: "method"] = .stringConvertible(context.descriptor)
    let start = ContinuousClock.now
    do {
      let response = try await next(payload, context)
      if context.logger.logLevel <= .debug {
        context.logger.debug("call completed", metadata: ["duration": "\(ContinuousClock.now - start)"])
      }
      return response
    } catch {
      let status = RPCStatus(error: error, logger: context.logger)
      let level: Logger.Level = status.code == .internalError ? .error : .info
      context.logger.log(
        level: level,
        "call failed",
        metadata: [
          "code": "\(status.code)",
          "duration": "\(ContinuousClock.now - start)",
        ]
      )
      throw status.error
    }
  }
}
