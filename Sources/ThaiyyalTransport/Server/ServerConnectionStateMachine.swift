import NIOCore
import ThaiyyalRPC

/// The rules of one server connection, apart from its I/O: which request starts, waits or is
/// refused; when reading pauses and resumes (backpressure); when the connection has idled too
/// long or a frame has taken too long to arrive; and when a draining connection may close.
///
/// ``TTRPCServerConnectionHandler`` feeds it events and performs what it answers. It reads no
/// clock and touches no channel, so its tests drive it transition by transition.
struct ServerConnectionStateMachine {
  struct Limits: Sendable {
    var maxConcurrentCalls: Int
    var idleTimeout: TimeAmount
    var frameTimeout: TimeAmount
  }

  /// Whether the connection takes new requests.
  enum Phase: Equatable {
    /// Reads requests and serves them.
    case serving
    /// Reads nothing more; serves the requests it has, then closes. A drain (the server is
    /// shutting down) or the client's half-close leads here.
    case draining
    /// Closed or closing: nothing more happens.
    case closed
  }

  /// What to do with a request that arrived whole.
  enum Reception: Equatable {
    /// Start the call now; it counts as in flight.
    case start
    /// Nothing yet: the connection is at its concurrency limit, so the request waits its turn
    /// and ``nextAction()`` starts it later.
    case wait
    /// Answer the request's stream with an error; nothing else changes.
    case refuse(Refusal)
    /// Drop it: the connection is closing.
    case ignore
  }

  /// Why a request was answered with an error before it started.
  enum Refusal: Equatable {
    case evenStreamID
    case streamInUse

    func status(streamID: UInt32) -> RPCStatus {
      switch self {
      case .evenStreamID:
        RPCStatus(
          code: .invalidArgument,
          message: "stream id \(streamID) must be odd for client-initiated streams"
        )
      case .streamInUse:
        RPCStatus(code: .invalidArgument, message: "stream id \(streamID) is already in use")
      }
    }
  }

  /// Work that follows from the state, asked for with ``nextAction()`` after each event.
  enum Action: Equatable {
    /// Start a waiting request (it now counts as in flight).
    case start(streamID: UInt32, request: ByteBuffer)
    /// Ask the channel for more bytes: reading had been held back.
    case resumeReading
    /// Close the connection: it drained.
    case close
  }

  /// The answer of a timer that came due.
  enum TimerVerdict: Equatable {
    case close
    case checkAgain(at: NIODeadline)
    /// Nothing to watch any more.
    case stop
  }

  let limits: Limits
  private(set) var phase = Phase.serving
  /// Streams of the calls that started and have not finished.
  private(set) var inFlight = Set<UInt32>()
  /// Requests that arrived while the connection was at its concurrency limit, in order.
  private var waiting = CircularBuffer<(streamID: UInt32, request: ByteBuffer)>()
  /// Whether a read was withheld, so the kernel's buffers fill and the client slows down.
  private(set) var readHeld = false
  /// When a whole request last arrived or a response was last written. Bytes of an unfinished
  /// frame do not count: a client dripping them stays idle.
  private(set) var lastActivity: NIODeadline
  /// When the first byte of a frame that has not yet arrived whole came.
  private(set) var partialFrameSince: NIODeadline?

  init(limits: Limits, now: NIODeadline) {
    self.limits = limits
    self.lastActivity = now
  }

  var waitingCount: Int { waiting.count }

  /// When the idle timer first comes due.
  var firstIdleCheck: NIODeadline { lastActivity + limits.idleTimeout }

  private var atCapacity: Bool { inFlight.count >= limits.maxConcurrentCalls }
  private var busy: Bool { !inFlight.isEmpty || !waiting.isEmpty }

  // MARK: Events

  /// A request frame arrived whole on `streamID`.
  mutating func requestReceived(streamID: UInt32, request: ByteBuffer) -> Reception {
    guard phase != .closed else { return .ignore }
    guard streamID & 1 == 1 else { return .refuse(.evenStreamID) }
    if inFlight.contains(streamID) || waiting.contains(where: { $0.streamID == streamID }) {
      return .refuse(.streamInUse)
    }
    if atCapacity || !waiting.isEmpty {
      waiting.append((streamID, request))
      return .wait
    }
    inFlight.insert(streamID)
    return .start
  }

  /// The call on `streamID` finished (its response is written or queued), or failed to start.
  mutating func callFinished(streamID: UInt32) {
    inFlight.remove(streamID)
  }

  /// The channel asks whether to read more. Reading is held while the connection is full, while
  /// requests wait, and once it drains; ``nextAction()`` resumes it.
  mutating func readRequested() -> Bool {
    if phase != .serving || atCapacity || !waiting.isEmpty {
      readHeld = true
      return false
    }
    return true
  }

  /// The end of one burst of reads, which brought at least one whole frame or none. Returns when
  /// to check that an unfinished frame has arrived whole, when one has just begun; `now` is read
  /// only when it is needed.
  mutating func readBurstEnded(
    receivedFrame: Bool,
    unprocessedBytes: Int,
    now: () -> NIODeadline
  ) -> NIODeadline? {
    var clock: NIODeadline?
    func time() -> NIODeadline {
      if let clock { return clock }
      let read = now()
      clock = read
      return read
    }
    if receivedFrame {
      // A frame still unfinished now began after the last whole one: it gets its own deadline.
      lastActivity = time()
      partialFrameSince = nil
    }
    if unprocessedBytes == 0 {
      partialFrameSince = nil
      return nil
    }
    guard partialFrameSince == nil else { return nil }
    let since = time()
    partialFrameSince = since
    return since + limits.frameTimeout
  }

  /// Responses went out.
  mutating func wrote(at now: NIODeadline) {
    lastActivity = now
  }

  /// The server shuts down: serve what was received, read nothing more, then close.
  mutating func drain() {
    if phase == .serving { phase = .draining }
  }

  /// The client closed its side for writing: it sends nothing more but still reads, so the calls
  /// it sent are answered before the connection closes.
  mutating func inputClosed() {
    drain()
  }

  /// The channel went away; every call still running is abandoned.
  mutating func closed() {
    phase = .closed
    waiting.removeAll()
    inFlight.removeAll()
    partialFrameSince = nil
    readHeld = false
  }

  /// The idle timer came due at `now`.
  mutating func idleCheckDue(now: NIODeadline) -> TimerVerdict {
    guard phase != .closed else { return .stop }
    if busy {
      // Look again a whole timeout later rather than polling.
      return .checkAgain(at: now + limits.idleTimeout)
    }
    let deadline = lastActivity + limits.idleTimeout
    if now >= deadline {
      phase = .closed
      return .close
    }
    return .checkAgain(at: max(deadline, now + .milliseconds(10)))
  }

  /// The frame timer came due at `now`.
  mutating func frameCheckDue(now: NIODeadline) -> TimerVerdict {
    guard phase != .closed, let since = partialFrameSince else { return .stop }
    let deadline = since + limits.frameTimeout
    if now >= deadline {
      phase = .closed
      return .close
    }
    return .checkAgain(at: deadline)
  }

  // MARK: Actions

  /// The next thing the handler must do, or `nil` when there is nothing; the handler asks until
  /// it gets `nil`.
  mutating func nextAction() -> Action? {
    switch phase {
    case .closed:
      return nil
    case .serving, .draining:
      if !waiting.isEmpty && !atCapacity {
        let next = waiting.removeFirst()
        inFlight.insert(next.streamID)
        return .start(streamID: next.streamID, request: next.request)
      }
      if phase == .serving && readHeld && waiting.isEmpty && !atCapacity {
        readHeld = false
        return .resumeReading
      }
      if phase == .draining && !busy {
        phase = .closed
        return .close
      }
      return nil
    }
  }
}
