import Synchronization
public import ThaiyyalRPC

/// Adds the caller's credentials (`authorization: Bearer <token>`) and tenant (`x-tenant`) to
/// every call before handing it to the underlying transport.
///
/// The values can change between calls (after a login), so they live behind a lock.
public final class CredentialsTransport: ClientTransport {
  private let base: any ClientTransport
  private let credentials: Mutex<(token: String?, tenant: String?)>

  public init(base: any ClientTransport, token: String? = nil, tenant: String? = nil) {
    self.base = base
    self.credentials = Mutex((token, tenant))
  }

  /// The bearer token sent with each call.
  public var token: String? {
    get { credentials.withLock { $0.token } }
    set { credentials.withLock { $0.token = newValue } }
  }

  /// The tenant slug or id sent with each call.
  public var tenant: String? {
    get { credentials.withLock { $0.tenant } }
    set { credentials.withLock { $0.tenant = newValue } }
  }

  public func unary(
    _ descriptor: MethodDescriptor,
    payload: [UInt8],
    options: CallOptions
  ) async throws -> [UInt8] {
    var options = options
    let (token, tenant) = credentials.withLock { ($0.token, $0.tenant) }
    if let token, options.metadata[Metadata.WellKnown.authorization] == nil {
      options.metadata.add(Metadata.WellKnown.authorization, "Bearer \(token)")
    }
    if let tenant, options.metadata[Metadata.WellKnown.tenant] == nil {
      options.metadata.add(Metadata.WellKnown.tenant, tenant)
    }
    return try await base.unary(descriptor, payload: payload, options: options)
  }
}
