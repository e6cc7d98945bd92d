import Logging
import Synchronization
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

/// Handlers for transport tests, registered under the service `test.Echo`.
enum TestServices {
  static let service = "test.Echo"
  static let echo = MethodDescriptor(service: service, method: "Echo")
  static let sleep = MethodDescriptor(service: service, method: "Sleep")
  static let gated = MethodDescriptor(service: service, method: "Gate")
  static let large = MethodDescriptor(service: service, method: "Large")
  static let metadata = MethodDescriptor(service: service, method: "Metadata")
  static let hang = MethodDescriptor(service: service, method: "Hang")

  /// A router with: `Echo` (returns the payload), `Sleep` (sleeps the number of milliseconds in
  /// the payload's first two bytes, then echoes), `Gate` (waits for `gate` to open), `Large`
  /// (answers with a payload of the size in the request's first four bytes) and `Metadata`
  /// (answers `key=value` lines of what it received).
  static func router(gate: Gate = Gate(), cancellations: Counter = Counter()) -> RPCRouter {
    var router = RPCRouter()
    router.register(echo) { payload, _ in payload }
    router.register(sleep) { payload, _ in
      let millis = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 0
      try await Task.sleep(for: .milliseconds(millis))
      return payload
    }
    router.register(gated) { payload, _ in
      await gate.pass()
      return payload
    }
    router.register(large) { payload, _ in
      let size = payload.prefix(4).reduce(0) { $0 << 8 | Int($1) }
      return [UInt8](repeating: 0x61, count: size)
    }
    router.register(hang) { _, _ in
      do {
        try await Task.sleep(for: .seconds(120))
      } catch {
        cancellations.increment()
        throw error
      }
      return []
    }
    router.register(metadata) { _, context in
      Array(context.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").utf8)
    }
    return router
  }

  static func sleepPayload(milliseconds: Int) -> [UInt8] {
    [UInt8(milliseconds >> 8), UInt8(milliseconds & 0xFF)]
  }

  static func sizePayload(_ size: Int) -> [UInt8] {
    [
      UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF),
      UInt8(size & 0xFF),
    ]
  }
}

/// A thread-safe count.
final class Counter: Sendable {
  private let value = Mutex(0)
  var count: Int { value.withLock { $0 } }
  func increment() { value.withLock { $0 += 1 } }
}

/// Holds callers until opened, counting how many are waiting.
final class Gate: Sendable {
  private let state = Mutex<
    (open: Bool, entered: Int, waiters: [CheckedContinuation<Void, Never>])
  >((false, 0, []))

  var entered: Int { state.withLock { $0.entered } }

  func pass() async {
    await withCheckedContinuation { continuation in
      let proceed = state.withLock { state -> Bool in
        state.entered += 1
        if state.open { return true }
        state.waiters.append(continuation)
        return false
      }
      if proceed { continuation.resume() }
    }
  }

  func open() {
    let waiters = state.withLock { state in
      state.open = true
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter.resume() }
  }
}

/// Starts a ``TTRPCServer`` with the test handlers on a temporary Unix socket (and TCP when asked),
/// runs `body`, then shuts it down.
func withTransportServer<T>(
  tcp: Bool = false,
  gate: Gate = Gate(),
  cancellations: Counter = Counter(),
  interceptors: [ScopedInterceptor] = [ScopedInterceptor(DeadlineInterceptor())],
  configuration: TTRPCServerConfiguration = .testing,
  logger: Logger? = nil,
  _ body: (TTRPCServer, [BindAddress]) async throws -> T
) async throws -> T {
  let directory = try TemporaryDirectory()
  defer { directory.remove() }
  var quiet = Logger(label: "test.transport")
  quiet.logLevel = .critical
  let logger = logger ?? quiet
  let server = TTRPCServer(
    table: TestServices.router(gate: gate, cancellations: cancellations).resolve(
      interceptors: interceptors
    ),
    configuration: configuration,
    logger: logger
  )
  var addresses: [BindAddress] = [.unixDomainSocket(path: directory.path + "/t.sock")]
  if tcp { addresses.append(.tcp(host: "127.0.0.1", port: 0)) }
  let bound = try await server.start(listeningOn: addresses)
  do {
    let result = try await body(server, bound)
    await server.shutdown(graceful: false)
    return result
  } catch {
    await server.shutdown(graceful: false)
    throw error
  }
}

extension TTRPCServerConfiguration {
  /// Defaults with a short drain timeout, so a failing test does not wait 30 s.
  static var testing: TTRPCServerConfiguration {
    var configuration = TTRPCServerConfiguration()
    configuration.drainTimeout = .seconds(5)
    return configuration
  }

  /// A copy with one setting changed.
  func with<Value>(_ setting: WritableKeyPath<Self, Value>, _ value: Value) -> Self {
    var copy = self
    copy[keyPath: setting] = value
    return copy
  }
}
