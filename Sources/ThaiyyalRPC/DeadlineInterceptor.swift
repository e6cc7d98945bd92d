/// Runs the rest of the chain under the call's deadline.
///
/// A call whose deadline has already passed is refused at once; otherwise the handler races a
/// timer and the call answers `DEADLINE_EXCEEDED` when the timer wins, cancelling the handler.
/// Calls without a deadline pass straight through at no cost.
public struct DeadlineInterceptor: ServerInterceptor {
  public init() {}

  public func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    guard let deadline = context.deadline else {
      return try await next(payload, context)
    }
    guard deadline > .now else {
      throw RPCError(.deadlineExceeded, "deadline exceeded before the call started")
    }
    return try await withThrowingTaskGroup(of: [UInt8].self) { group in
      group.addTask {
        try await next(payload, context)
      }
      group.addTask {
        try await Task.sleep(until: deadline, clock: .continuous)
        throw RPCError(.deadlineExceeded, "deadline exceeded")
      }
      defer { group.cancelAll() }
      do {
        return try await group.next()!
      } catch is CancellationError where deadline <= .now {
        throw RPCError(.deadlineExceeded, "deadline exceeded")
      }
    }
  }
}
