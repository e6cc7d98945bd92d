import Synchronization

/// Runs the rest of the chain under the call's deadline.
///
/// A call whose deadline has already passed is refused at once. Otherwise the call answers
/// `DEADLINE_EXCEEDED` when the deadline passes, whatever the handler is doing, and the handler is
/// cancelled: work that does not stop for cancellation (a password hash on its own thread) ends
/// in the background, but the caller has its answer at the deadline. Calls without a deadline pass
/// straight through at no cost.
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
    let answer = FirstAnswer()
    // Unstructured on purpose: a task group would wait for a handler that ignores cancellation.
    let work = Task {
      do {
        answer.resolve(.success(try await next(payload, context)))
      } catch {
        answer.resolve(.failure(error))
      }
    }
    let timer = Task {
      try await Task.sleep(until: deadline, clock: .continuous)
      answer.resolve(.failure(RPCError(.deadlineExceeded, "deadline exceeded")))
      work.cancel()
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
      try await answer.value
    } onCancel: {
      work.cancel()
      answer.resolve(.failure(CancellationError()))
    }
  }
}

/// The first of several outcomes, delivered once to the one waiter.
private final class FirstAnswer: Sendable {
  private let state = Mutex<
    (result: Result<[UInt8], any Error>?, waiter: CheckedContinuation<[UInt8], any Error>?)
  >(
    (nil, nil)
  )

  func resolve(_ result: Result<[UInt8], any Error>) {
    let waiter = state.withLock { state -> CheckedContinuation<[UInt8], any Error>? in
      guard state.result == nil else { return nil }
      state.result = result
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(with: result)
  }

  var value: [UInt8] {
    get async throws {
      try await withCheckedThrowingContinuation { continuation in
        let ready = state.withLock { state -> Result<[UInt8], any Error>? in
          if let result = state.result { return result }
          state.waiter = continuation
          return nil
        }
        if let ready { continuation.resume(with: ready) }
      }
    }
  }
}
