import NIOCore
import Synchronization

/// Counts open connections of the listeners it serves, in all and per peer address, and wakes
/// listeners that paused accepting.
final class ConnectionLimiter: Sendable {
  private struct State {
    var open = 0
    var perAddress: [String: Int] = [:]
    var waiters: [@Sendable () -> Void] = []
  }

  let maxConnections: Int
  let maxPerAddress: Int
  private let state = Mutex(State())

  init(maxConnections: Int, maxPerAddress: Int) {
    self.maxConnections = maxConnections
    self.maxPerAddress = maxPerAddress
  }

  var open: Int { state.withLock { $0.open } }

  /// Takes a slot; `false` when every slot is taken, or `address` holds its share.
  func tryAcquire(address: String?) -> Bool {
    state.withLock { state in
      guard state.open < maxConnections else { return false }
      if let address {
        let count = state.perAddress[address, default: 0]
        guard count < maxPerAddress else { return false }
        state.perAddress[address] = count + 1
      }
      state.open += 1
      return true
    }
  }

  /// Frees a slot and wakes every paused listener.
  func release(address: String?) {
    let waiters = state.withLock { state in
      state.open -= 1
      if let address {
        let count = state.perAddress[address, default: 1] - 1
        state.perAddress[address] = count > 0 ? count : nil
      }
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
/// connection accepted over the limit in a burst, or one from an address that already holds its
/// share.
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
    let address = child.remoteAddress?.ipAddress
    guard limiter.tryAcquire(address: address) else {
      child.close(promise: nil)
      return
    }
    let limiter = self.limiter
    child.closeFuture.whenComplete { _ in limiter.release(address: address) }
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
