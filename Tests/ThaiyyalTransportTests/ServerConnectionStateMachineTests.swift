import NIOCore
import Testing
import ThaiyyalRPC

@testable import ThaiyyalTransport

/// The connection's rules, transition by transition, with no channel and no clock.
@Suite("Server connection state machine")
struct ServerConnectionStateMachineTests {
  typealias Machine = ServerConnectionStateMachine
  static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
  static let limits = Machine.Limits(
    maxConcurrentCalls: 2,
    idleTimeout: .seconds(60),
    frameTimeout: .seconds(10)
  )

  static func request(_ byte: UInt8) -> ByteBuffer { ByteBuffer(bytes: [byte]) }

  /// Every action the machine has for now.
  static func actions(_ machine: inout Machine) -> [Machine.Action] {
    var actions: [Machine.Action] = []
    while let action = machine.nextAction() { actions.append(action) }
    return actions
  }

  /// Whether the machine lets a read through.
  static func reads(_ machine: inout Machine) -> Bool { machine.readRequested() }

  @Test("requests start up to the limit, then wait in order while reads are held back")
  func backpressure() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    #expect(machine.requestReceived(streamID: 1, request: Self.request(1)) == .start)
    #expect(Self.reads(&machine))
    #expect(machine.requestReceived(streamID: 3, request: Self.request(3)) == .start)
    #expect(!Self.reads(&machine), "at the limit the next read is withheld")
    #expect(machine.readHeld)
    #expect(machine.requestReceived(streamID: 5, request: Self.request(5)) == .wait)
    #expect(machine.requestReceived(streamID: 7, request: Self.request(7)) == .wait)
    #expect(Self.actions(&machine).isEmpty, "nothing moves while both calls run")

    machine.callFinished(streamID: 1)
    #expect(Self.actions(&machine) == [.start(streamID: 5, request: Self.request(5))])
    #expect(!Self.reads(&machine), "a request still waits, so reading stays held")

    machine.callFinished(streamID: 3)
    #expect(Self.actions(&machine) == [.start(streamID: 7, request: Self.request(7))])
    #expect(machine.inFlight == [5, 7])

    machine.callFinished(streamID: 5)
    #expect(Self.actions(&machine) == [.resumeReading], "the queue is empty and there is room")
    #expect(!machine.readHeld)
    #expect(Self.actions(&machine).isEmpty, "reading is resumed once")
    #expect(Self.reads(&machine))
  }

  @Test("a new request waits behind the queue even when a slot is free")
  func fairQueue() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    _ = machine.requestReceived(streamID: 1, request: Self.request(1))
    _ = machine.requestReceived(streamID: 3, request: Self.request(3))
    #expect(machine.requestReceived(streamID: 5, request: Self.request(5)) == .wait)
    machine.callFinished(streamID: 1)
    // A request that arrives before the handler asks for actions does not jump the queue.
    #expect(machine.requestReceived(streamID: 9, request: Self.request(9)) == .wait)
    #expect(Self.actions(&machine) == [.start(streamID: 5, request: Self.request(5))])
    #expect(machine.waitingCount == 1)
  }

  @Test("even stream ids and streams in use are refused without changing anything")
  func refusals() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    #expect(
      machine.requestReceived(streamID: 2, request: Self.request(2)) == .refuse(.evenStreamID)
    )
    #expect(machine.requestReceived(streamID: 1, request: Self.request(1)) == .start)
    #expect(machine.requestReceived(streamID: 1, request: Self.request(1)) == .refuse(.streamInUse))
    #expect(machine.requestReceived(streamID: 3, request: Self.request(3)) == .start)
    #expect(machine.requestReceived(streamID: 5, request: Self.request(5)) == .wait)
    #expect(
      machine.requestReceived(streamID: 5, request: Self.request(5)) == .refuse(.streamInUse),
      "a waiting stream is in use too"
    )
    #expect(machine.inFlight == [1, 3])
    #expect(machine.waitingCount == 1)
    #expect(
      Machine.Refusal.evenStreamID.status(streamID: 2).message
        == "stream id 2 must be odd for client-initiated streams"
    )
    // A finished stream's id may be used again.
    machine.callFinished(streamID: 1)
    _ = Self.actions(&machine)
    machine.callFinished(streamID: 3)
    _ = Self.actions(&machine)
    #expect(machine.requestReceived(streamID: 1, request: Self.request(1)) == .start)
  }

  @Test("a drain serves what was received, reads nothing more, and closes after the last call")
  func drain() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    _ = machine.requestReceived(streamID: 1, request: Self.request(1))
    _ = machine.requestReceived(streamID: 3, request: Self.request(3))
    _ = machine.requestReceived(streamID: 5, request: Self.request(5))
    _ = machine.readRequested()
    machine.drain()
    #expect(machine.phase == .draining)
    #expect(!Self.reads(&machine))
    #expect(Self.actions(&machine).isEmpty)

    machine.callFinished(streamID: 1)
    #expect(
      Self.actions(&machine) == [.start(streamID: 5, request: Self.request(5))],
      "a request received before the drain is still served, and reading does not resume"
    )
    machine.callFinished(streamID: 3)
    #expect(Self.actions(&machine).isEmpty)
    machine.callFinished(streamID: 5)
    #expect(Self.actions(&machine) == [.close])
    #expect(machine.phase == .closed)
    #expect(Self.actions(&machine).isEmpty, "close is asked for once")
  }

  @Test("a drain of an idle connection closes it at once")
  func drainIdle() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    machine.drain()
    #expect(Self.actions(&machine) == [.close])
  }

  @Test("a client's half-close drains: its calls are answered, then the connection closes")
  func halfClose() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    _ = machine.requestReceived(streamID: 1, request: Self.request(1))
    machine.inputClosed()
    #expect(machine.phase == .draining)
    #expect(Self.actions(&machine).isEmpty, "the call in flight keeps the connection open")
    machine.callFinished(streamID: 1)
    #expect(Self.actions(&machine) == [.close])
  }

  @Test("the idle timer closes a quiet connection, waits while busy, and follows activity")
  func idle() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    #expect(machine.firstIdleCheck == Self.start + .seconds(60))

    // Activity at +30 s moves the deadline to +90 s.
    _ = machine.readBurstEnded(receivedFrame: true, unprocessedBytes: 0) {
      Self.start + .seconds(30)
    }
    #expect(
      machine.idleCheckDue(now: Self.start + .seconds(60))
        == .checkAgain(at: Self.start + .seconds(90))
    )

    // Busy: a call in flight is never idle, whatever the time.
    _ = machine.requestReceived(streamID: 1, request: Self.request(1))
    #expect(
      machine.idleCheckDue(now: Self.start + .seconds(200))
        == .checkAgain(at: Self.start + .seconds(260))
    )
    machine.callFinished(streamID: 1)
    machine.wrote(at: Self.start + .seconds(201))
    #expect(
      machine.idleCheckDue(now: Self.start + .seconds(260))
        == .checkAgain(at: Self.start + .seconds(261))
    )
    #expect(machine.idleCheckDue(now: Self.start + .seconds(261)) == .close)
    #expect(machine.phase == .closed)
    #expect(machine.idleCheckDue(now: Self.start + .seconds(400)) == .stop)
  }

  @Test("a frame that does not arrive whole by the frame timeout closes the connection")
  func frameTimeout() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    var clockReads = 0
    func at(_ seconds: Int64) -> () -> NIODeadline {
      {
        clockReads += 1
        return Self.start + .seconds(seconds)
      }
    }
    #expect(machine.readBurstEnded(receivedFrame: false, unprocessedBytes: 0, now: at(1)) == nil)
    #expect(clockReads == 0, "a burst with nothing to note reads no clock")

    // A frame begins at +2 s: it must be whole by +12 s.
    #expect(
      machine.readBurstEnded(receivedFrame: false, unprocessedBytes: 5, now: at(2)) == Self.start
        + .seconds(12)
    )
    // More bytes of the same frame at +5 s keep its deadline.
    #expect(machine.readBurstEnded(receivedFrame: false, unprocessedBytes: 9, now: at(5)) == nil)
    #expect(machine.partialFrameSince == Self.start + .seconds(2))
    #expect(
      machine.frameCheckDue(now: Self.start + .seconds(11))
        == .checkAgain(at: Self.start + .seconds(12))
    )
    #expect(machine.frameCheckDue(now: Self.start + .seconds(12)) == .close)
    #expect(machine.phase == .closed)
  }

  @Test("a frame that completes in time clears its deadline; the next one gets its own")
  func frameCompletes() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    _ = machine.readBurstEnded(receivedFrame: false, unprocessedBytes: 5) { Self.start }
    #expect(
      machine.readBurstEnded(receivedFrame: true, unprocessedBytes: 0) { Self.start + .seconds(3) }
        == nil
    )
    #expect(machine.frameCheckDue(now: Self.start + .seconds(10)) == .stop)
    // A whole frame and the start of another in one burst: the new one's deadline starts now.
    _ = machine.readBurstEnded(receivedFrame: false, unprocessedBytes: 5) {
      Self.start + .seconds(4)
    }
    #expect(
      machine.readBurstEnded(receivedFrame: true, unprocessedBytes: 3) { Self.start + .seconds(8) }
        == Self.start + .seconds(18)
    )
    #expect(machine.lastActivity == Self.start + .seconds(8))
  }

  @Test("once closed, nothing more happens")
  func closed() {
    var machine = Machine(limits: Self.limits, now: Self.start)
    _ = machine.requestReceived(streamID: 1, request: Self.request(1))
    _ = machine.requestReceived(streamID: 3, request: Self.request(3))
    _ = machine.requestReceived(streamID: 5, request: Self.request(5))
    machine.closed()
    #expect(machine.inFlight.isEmpty)
    #expect(machine.waitingCount == 0)
    #expect(machine.requestReceived(streamID: 7, request: Self.request(7)) == .ignore)
    machine.drain()
    #expect(Self.actions(&machine).isEmpty)
    #expect(machine.idleCheckDue(now: Self.start + .seconds(600)) == .stop)
  }
}
