import Logging
import Metrics
import Synchronization
import ThaiyyalRPC

/// The first link of the chain: one log line and metrics per call.
///
/// Successful calls log at `debug` so a busy server stays quiet; failures log at `info`, and
/// `INTERNAL` at `error`. Failures other than `INTERNAL` are sampled (``LogSampler``): a flood of
/// refused calls writes at most 20 lines a second, each saying how many were left out. Only ids
/// reach the log, never payloads or metadata values. Metrics go to whatever swift-metrics backend
/// the process bootstrapped: `thaiyyal_rpc_requests_total` by method and status code, and
/// `thaiyyal_rpc_duration_seconds` by method. Both label sets are bounded: only registered
/// methods reach this interceptor, and codes are a fixed set.
struct ObserveInterceptor: ServerInterceptor {
  let metrics = CallMetrics()
  let failures = LogSampler()

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    let start = ContinuousClock.now
    do {
      let response = try await next(payload, context)
      let elapsed = ContinuousClock.now - start
      metrics.record(context.descriptor, code: .ok, elapsed: elapsed)
      if context.isLogging(at: .debug) {
        context.logger.debug("call completed", metadata: ["duration": "\(elapsed)"])
      }
      return response
    } catch {
      let elapsed = ContinuousClock.now - start
      let status = RPCStatus(error: error, logger: context.logger)
      metrics.record(context.descriptor, code: status.code, elapsed: elapsed)
      let metadata: Logger.Metadata = ["code": "\(status.code)", "duration": "\(elapsed)"]
      if status.code == .internalError {
        context.logger.error("call failed", metadata: metadata)
      } else {
        failures.sample { suppressed in
          context.logger.info("call failed", metadata: metadata.noting(suppressed: suppressed))
        }
      }
      throw status.error
    }
  }
}

/// Metric handles per method and code, built once and reused, so a call does not create them.
final class CallMetrics: Sendable {
  private let handles = Mutex<[Key: (counter: Counter, timer: Metrics.Timer)]>([:])

  private struct Key: Hashable {
    let method: MethodDescriptor
    let code: RPCError.Code
  }

  func record(_ method: MethodDescriptor, code: RPCError.Code, elapsed: Duration) {
    let key = Key(method: method, code: code)
    let handle = handles.withLock { handles in
      if let handle = handles[key] { return handle }
      let handle = (
        Counter(
          label: "thaiyyal_rpc_requests_total",
          dimensions: [
            ("service", method.service), ("method", method.fullName), ("code", "\(code)"),
          ]
        ),
        Metrics.Timer(
          label: "thaiyyal_rpc_duration_seconds",
          dimensions: [("service", method.service), ("method", method.fullName)]
        )
      )
      handles[key] = handle
      return handle
    }
    handle.counter.increment()
    let (seconds, attoseconds) = elapsed.components
    handle.timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
