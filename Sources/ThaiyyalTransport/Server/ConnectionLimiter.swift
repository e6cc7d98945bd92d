import NIOCore
import Synchronization

/// Counts open connections across all listeners and wakes listeners that paused accepting.
final class ConnectionLimiter: Sendable {
  let maxConnections: Int
  private let state = Mutex<(open: Int, waiters: [@Sendable () -> Void])>((0, []))

  init(maxConnections: Int) {
    self.maxConnections = maxConnections
  }

  var open: Int { state.withLock { $0.open } }

  /// Takes a slot; `false` when every slot is taken.
  func tryAcquire() -> Bool {
    state.withLock { state in
      guard state.open < maxConnections else { return false }
      state.open += 1
      return true
    }
  }

  /// Frees a slot and wakes every paused listener.
  func release() {
    let waiters = state.withLock { state in
      state.open -= 1
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter() }
  }

  /// Calls `waiter` once the next slot frees, or now if one is free.
  func whenBelowLimit(_ waiter: @escaping @Sendable () -> Void) {
    let runNow = state.withLock { state in
      if state.open < maxConnections { return true }
      state.waiters.append(waiter)
      return false
    }
    if runNow { waiter() }
  }
}

/// Sits in a listening channel's pipeline: withholds `read()` (accepting) while the server is at
/// its connection limit, so new clients wait in the backlog instead of being refused, and closes a
/// connection accepted over the limit in a burst.
final class AcceptGateHandler: ChannelDuplexHandler {
  typealias InboundIn = any Channel
  typealias InboundOut = any Channel
  typealias OutboundIn = Never

  private let limiter: ConnectionLimiter
  private var readHeld = false
  private var context: ChannelHandlerContext?

  init(limiter: ConnectionLimiter) {
    self.limiter = limiter
  }

  func handlerAdded(context: ChannelHandlerContext) { self.context = context }
  func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let child = unwrapInboundIn(data)
    guard limiter.tryAcquire() else {
      child.close(promise: nil)
      return
    }
    let limiter = self.limiter
    child.closeFuture.whenComplete { _ in limiter.release() }
    context.fireChannelRead(data)
  }

  func read(context: ChannelHandlerContext) {
    guard limiter.open >= limiter.maxConnections else {
      context.read()
      return
    }
    guard !readHeld else { return }
    readHeld = true
    let this = NIOLoopBound(self, eventLoop: context.eventLoop)
    let eventLoop = context.eventLoop
    limiter.whenBelowLimit {
      eventLoop.execute { this.value.resume() }
    }
  }

  private func resume() {
    guard readHeld, let context else { return }
    readHeld = false
    context.read()
  }
}
