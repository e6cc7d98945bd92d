import Synchronization

/// A value set once and awaited by any number of tasks.
final class OneShot<Value: Sendable>: Sendable {
  private let state = Mutex<
    (result: Result<Value, any Error>?, waiters: [CheckedContinuation<Value, any Error>])
  >(
    (nil, [])
  )

  func resolve(_ result: Result<Value, any Error>) {
    let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
      guard state.result == nil else { return [] }
      state.result = result
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter.resume(with: result) }
  }

  var value: Value {
    get async throws {
      try await withCheckedThrowingContinuation { continuation in
        let ready = state.withLock { state -> Result<Value, any Error>? in
          if let result = state.result { return result }
          state.waiters.append(continuation)
          return nil
        }
        if let ready { continuation.resume(with: ready) }
      }
    }
  }
}
