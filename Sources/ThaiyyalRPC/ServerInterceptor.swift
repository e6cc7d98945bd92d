/// A cross-cutting step every call passes before its handler: logging, deadlines, authentication,
/// tenancy, authorization, rate limits.
///
/// An interceptor receives the encoded request and the context, and either answers by throwing an
/// ``RPCError`` or calls `next` (usually with an enriched context). The chain is assembled once by
/// ``RPCRouter/resolve(interceptors:)``; the first interceptor in the array is the first to see the
/// call.
///
/// ```swift
/// struct RequireToken: ServerInterceptor {
///   func intercept(
///     payload: [UInt8], context: ServerContext, next: @escaping RPCHandler
///   ) async throws -> [UInt8] {
///     guard context.metadata["authorization"] != nil else {
///       throw RPCError(.unauthenticated, "missing bearer token")
///     }
///     return try await next(payload, context)
///   }
/// }
/// ```
public protocol ServerInterceptor: Sendable {
  func intercept(
    payload: [UInt8],
    context: ServerContext,
    next: @escaping RPCHandler
  ) async throws -> [UInt8]
}

/// Handles one unary call: the encoded request in, the encoded response out.
public typealias RPCHandler =
  @Sendable (_ payload: [UInt8], _ context: ServerContext) async throws -> [UInt8]

/// An interceptor together with the methods it applies to.
public struct ScopedInterceptor: Sendable {
  /// Which methods an interceptor sees.
  public enum Scope: Sendable {
    case all
    case services(Set<String>)
    case methods(Set<MethodDescriptor>)
    case allExcluding(services: Set<String>)

    func applies(to descriptor: MethodDescriptor) -> Bool {
      switch self {
      case .all: true
      case .services(let names): names.contains(descriptor.service)
      case .methods(let methods): methods.contains(descriptor)
      case .allExcluding(let names): !names.contains(descriptor.service)
      }
    }
  }

  public let interceptor: any ServerInterceptor
  public let scope: Scope

  public init(_ interceptor: any ServerInterceptor, scope: Scope = .all) {
    self.interceptor = interceptor
    self.scope = scope
  }
}
