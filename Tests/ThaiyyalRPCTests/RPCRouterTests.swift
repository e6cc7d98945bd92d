import Logging
import Synchronization
import Testing
import ThaiyyalRPC

/// Records the order in which interceptors see a call.
private struct RecordingInterceptor: ServerInterceptor {
  let name: String
  let log: Mutex<[String]>.Shared

  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    log.value.withLock { $0.append(name) }
    return try await next(payload, context)
  }
}

/// Rejects every call it sees.
private struct RejectAll: ServerInterceptor {
  let error: RPCError
  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8] {
    throw error
  }
}

extension Mutex where Value: Sendable {
  /// A reference to a mutex, so tests can share one between interceptors.
  final class Shared: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
  }
}

@Suite("Router")
struct RPCRouterTests {
  static let echo = MethodDescriptor(service: "test.A", method: "Echo")
  static let other = MethodDescriptor(service: "test.B", method: "Echo")

  private func call(
    _ table: RPCHandlerTable,
    _ descriptor: MethodDescriptor,
    payload: [UInt8] = [1]
  ) async throws -> [UInt8] {
    try await InProcessTransport(table: table).unary(
      descriptor,
      payload: payload,
      options: .default
    )
  }

  @Test("interceptors run in array order, first added sees the call first")
  func order() async throws {
    let log = Mutex<[String]>.Shared([])
    var router = RPCRouter()
    router.register(Self.echo) { payload, _ in
      log.value.withLock { $0.append("handler") }
      return payload
    }
    let table = router.resolve(
      interceptors: ["one", "two", "three"].map {
        ScopedInterceptor(RecordingInterceptor(name: $0, log: log))
      }
    )
    #expect(try await call(table, Self.echo) == [1])
    #expect(log.value.withLock { $0 } == ["one", "two", "three", "handler"])
  }

  @Test("scoped interceptors apply only to their methods")
  func scopes() async throws {
    var router = RPCRouter()
    router.register(Self.echo) { payload, _ in payload }
    router.register(Self.other) { payload, _ in payload }
    let denied = RPCError(.permissionDenied, "no")
    let table = router.resolve(interceptors: [
      ScopedInterceptor(RejectAll(error: denied), scope: .allExcluding(services: ["test.B"]))
    ])
    await #expect(throws: denied) { try await call(table, Self.echo) }
    #expect(try await call(table, Self.other) == [1])

    let byMethod = router.resolve(interceptors: [
      ScopedInterceptor(RejectAll(error: denied), scope: .methods([Self.other]))
    ])
    #expect(try await call(byMethod, Self.echo) == [1])
    await #expect(throws: denied) { try await call(byMethod, Self.other) }
  }

  @Test("unknown service and method give ttrpc's UNIMPLEMENTED messages")
  func unknown() async throws {
    var router = RPCRouter()
    router.register(Self.echo) { payload, _ in payload }
    let table = router.resolve()
    await #expect(throws: RPCError(.unimplemented, "service nope.S")) {
      try await call(table, MethodDescriptor(service: "nope.S", method: "Echo"))
    }
    await #expect(throws: RPCError(.unimplemented, "method Nope")) {
      try await call(table, MethodDescriptor(service: "test.A", method: "Nope"))
    }
  }

  @Test("registerUnimplemented answers UNIMPLEMENTED for each method but keeps real handlers")
  func unimplemented() async throws {
    var router = RPCRouter()
    router.register(Self.echo) { payload, _ in payload }
    router.registerUnimplemented(ServiceDescriptor(name: "test.A", methods: ["Echo", "Later"]))
    let table = router.resolve()
    #expect(try await call(table, Self.echo) == [1])
    await #expect {
      try await call(table, MethodDescriptor(service: "test.A", method: "Later"))
    } throws: { error in
      (error as? RPCError)?.code == .unimplemented
    }
    #expect(router.methods.count == 2)
  }
}

@Suite("Status conversion")
struct RPCStatusTests {
  struct DomainError: RPCErrorConvertible {
    var rpcError: RPCError { RPCError(.notFound, "workflow w1 not found") }
  }

  struct SecretLeak: Error, CustomStringConvertible {
    var description: String {
      "SQLITE_CONSTRAINT at /var/lib/thaiyyal/db.sqlite: SELECT * FROM users"
    }
  }

  @Test("RPCError passes through unchanged")
  func passesThrough() {
    let error = RPCError(.aborted, "etag mismatch", details: [.init(typeURL: "t", value: [1])])
    #expect(RPCStatus(error: error, logger: Logger(label: "t")) == RPCStatus(error))
  }

  @Test("convertible errors convert")
  func converts() {
    let status = RPCStatus(error: DomainError(), logger: Logger(label: "t"))
    #expect(status.code == .notFound)
    #expect(status.message == "workflow w1 not found")
  }

  @Test("any other error becomes INTERNAL without leaking its text")
  func hidesInternals() {
    let status = RPCStatus(error: SecretLeak(), logger: Logger(label: "t"))
    #expect(status.code == .internalError)
    #expect(status.message == "internal error")
    #expect(!status.message.contains("SQLITE"))
  }

  @Test("codes map to their wire numbers and names")
  func codes() {
    #expect(RPCError.Code.invalidArgument.rawValue == 3)
    #expect(RPCError.Code.unauthenticated.rawValue == 16)
    #expect(RPCError.Code(rawValue: 8) == .resourceExhausted)
    #expect(RPCError.Code(rawValue: 99) == nil)
    #expect("\(RPCError.Code.notFound)" == "NOT_FOUND")
  }
}

@Suite("Metadata")
struct MetadataTests {
  @Test("keys match case-insensitively and may repeat")
  func caseInsensitive() {
    var metadata: Metadata = ["Authorization": "Bearer t"]
    metadata.add("X-Tenant", "a")
    metadata.add("x-tenant", "b")
    #expect(metadata["authorization"] == "Bearer t")
    #expect(metadata["X-TENANT"] == "a")
    #expect(metadata.values(for: "x-tenant") == ["a", "b"])
    metadata.set("x-tenant", "c")
    #expect(metadata.values(for: "x-tenant") == ["c"])
    metadata.remove("AUTHORIZATION")
    #expect(metadata["authorization"] == nil)
    #expect(metadata.map(\.key) == ["x-tenant"])
  }

  @Test("request ids from clients are echoed only when safe")
  func requestIDs() {
    #expect(RequestID.accept("abc-123") == "abc-123")
    #expect(RequestID.accept("has space") == nil)
    #expect(RequestID.accept("line\nbreak") == nil)
    #expect(RequestID.accept(String(repeating: "a", count: 129)) == nil)
    #expect(RequestID.accept("") == nil)
    #expect(RequestID.next() != RequestID.next())
  }

  @Test("the context takes a valid x-request-id and generates one otherwise")
  func contextRequestID() {
    let descriptor = MethodDescriptor(service: "s", method: "m")
    let given = ServerContext(
      descriptor: descriptor,
      metadata: ["X-Request-Id": "req-1"],
      peer: .inProcess,
      deadline: nil,
      logger: Logger(label: "t")
    )
    #expect(given.requestID == "req-1")
    let generated = ServerContext(
      descriptor: descriptor,
      metadata: ["x-request-id": "bad id"],
      peer: .inProcess,
      deadline: nil,
      logger: Logger(label: "t")
    )
    #expect(generated.requestID != "bad id")
    #expect(!generated.requestID.isEmpty)
  }
}

@Suite("Deadlines")
struct DeadlineInterceptorTests {
  static let slow = MethodDescriptor(service: "test.A", method: "Slow")

  private var table: RPCHandlerTable {
    var router = RPCRouter()
    // Sleeps the payload's first byte in seconds.
    router.register(Self.slow) { payload, _ in
      try await Task.sleep(for: .seconds(Int(payload.first ?? 0)))
      return payload
    }
    return router.resolve(interceptors: [ScopedInterceptor(DeadlineInterceptor())])
  }

  @Test("a call that outlives its deadline answers DEADLINE_EXCEEDED promptly")
  func exceeded() async throws {
    let start = ContinuousClock.now
    await #expect {
      try await InProcessTransport(table: table).unary(
        Self.slow,
        payload: [240],
        options: CallOptions(timeout: .milliseconds(50))
      )
    } throws: { error in
      (error as? RPCError)?.code == .deadlineExceeded
    }
    // Far from the handler's four minutes, however busy the machine.
    #expect(
      ContinuousClock.now - start < .seconds(60),
      "the deadline, not the 240 s handler, ends the call"
    )
  }

  @Test("a call within its deadline, or without one, completes")
  func within() async throws {
    let transport = InProcessTransport(table: table)
    // A generous deadline: the suite shares a busy machine, and this is about the call completing.
    #expect(
      try await transport.unary(
        Self.slow,
        payload: [1],
        options: CallOptions(timeout: .seconds(120))
      )
        == [1]
    )
    #expect(try await transport.unary(Self.slow, payload: [0], options: .default) == [0])
  }
}
