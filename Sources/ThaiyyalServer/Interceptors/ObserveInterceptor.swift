import Logging
import ThaiyyalRPC

/// The first link of the chain: writes one log line per call with its outcome and duration. The
/// context's logger carries the request id and method, so every line of the call correlates.
///
/// Successful calls log at `debug` so a busy server stays quiet; failures log at `info`, and
/// `INTERNAL` at `error`. Only ids reach the log, never payloads or metadata values.
struct ObserveInterceptor: ServerInterceptor {
  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    let start = ContinuousClock.now
    do {
      let response = try await next(payload, context)
      if context.isLogging(at: .debug) {
        context.logger.debug(
          "call completed",
          metadata: ["duration": "\(ContinuousClock.now - start)"]
        )
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
