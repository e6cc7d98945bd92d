/// Collects the handlers of every service before the server starts.
///
/// Generated service protocols register their methods here (`service.register(with: &router)`).
/// ``resolve(interceptors:)`` then folds each handler with the interceptors that apply to it, once,
/// so no call pays for choosing its chain.
public struct RPCRouter: Sendable {
  private var handlers: [MethodDescriptor: RPCHandler] = [:]

  public init() {}

  /// Registers `handler` for `descriptor`, replacing an earlier registration.
  public mutating func register(_ descriptor: MethodDescriptor, handler: @escaping RPCHandler) {
    handlers[descriptor] = handler
  }

  /// Registers every method of `service` to answer `UNIMPLEMENTED`, for services whose handlers
  /// have not been written yet. Known-but-unimplemented methods stay distinguishable from typos.
  public mutating func registerUnimplemented(_ service: ServiceDescriptor) {
    for descriptor in service.methods where handlers[descriptor] == nil {
      handlers[descriptor] = { _, _ in
        throw RPCError(.unimplemented, "\(descriptor.fullName) is not implemented yet")
      }
    }
  }

  /// The registered methods.
  public var methods: Set<MethodDescriptor> { Set(handlers.keys) }

  /// Builds the call table: each handler wrapped by the interceptors that apply to it, the first
  /// interceptor outermost.
  public func resolve(interceptors: [ScopedInterceptor] = []) -> RPCHandlerTable {
    var resolved: [MethodDescriptor: RPCHandler] = [:]
    for (descriptor, handler) in handlers {
      var chain = handler
      for scoped in interceptors.reversed() where scoped.scope.applies(to: descriptor) {
        let next = chain
        let interceptor = scoped.interceptor
        chain = { payload, context in
          try await interceptor.intercept(payload: payload, context: context, next: next)
        }
      }
      resolved[descriptor] = chain
    }
    return RPCHandlerTable(handlers: resolved)
  }
}

/// The resolved, immutable call table a transport serves from.
public struct RPCHandlerTable: Sendable {
  public let handlers: [MethodDescriptor: RPCHandler]

  /// Looks up the handler for a call, or throws the `UNIMPLEMENTED` error ttrpc clients expect:
  /// `service <name>` for an unknown service, `method <name>` for an unknown method.
  public func handler(service: String, method: String) throws(RPCError) -> RPCHandler {
    if let handler = handlers[MethodDescriptor(service: service, method: method)] { return handler }
    if services.contains(service) { throw RPCError(.unimplemented, "method \(method)") }
    throw RPCError(.unimplemented, "service \(service)")
  }

  /// Names of every service with at least one method.
  public var services: Set<String> { Set(handlers.keys.map(\.service)) }
}
