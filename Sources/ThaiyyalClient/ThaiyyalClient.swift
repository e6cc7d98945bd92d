public import ThaiyyalProto
public import ThaiyyalRPC
public import ThaiyyalTransport

/// A typed client for every Thaiyyal service over one shared connection.
///
/// ```swift
/// let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: "data/thaiyyal.sock"))
/// defer { Task { await client.close() } }
/// let status = try await client.health.check().status
/// ```
///
/// All stubs share one ``CredentialsTransport``, so setting ``token`` or ``tenant`` applies to
/// every service at once.
public final class ThaiyyalClient: Sendable {
  public typealias Transport = CredentialsTransport

  private let connection: TTRPCClient?
  public let transport: CredentialsTransport

  public let health: Thaiyyal_V1_Health.Client<Transport>
  public let tenants: Thaiyyal_V1_TenantService.Client<Transport>
  public let users: Thaiyyal_V1_UserService.Client<Transport>
  public let workflows: Thaiyyal_V1_WorkflowService.Client<Transport>
  public let executions: Thaiyyal_V1_ExecutionService.Client<Transport>
  public let audit: Thaiyyal_V1_AuditService.Client<Transport>

  /// A client over any transport (for example the in-process one in tests).
  public init(transport base: any ClientTransport, token: String? = nil, tenant: String? = nil) {
    self.connection = base as? TTRPCClient
    let transport = CredentialsTransport(base: base, token: token, tenant: tenant)
    self.transport = transport
    self.health = .init(transport: transport)
    self.tenants = .init(transport: transport)
    self.users = .init(transport: transport)
    self.workflows = .init(transport: transport)
    self.executions = .init(transport: transport)
    self.audit = .init(transport: transport)
  }

  /// A client over a ttrpc connection to `target`, opened on first use.
  public convenience init(
    connectingTo target: BindAddress,
    token: String? = nil,
    tenant: String? = nil
  ) {
    self.init(transport: TTRPCClient(target: target), token: token, tenant: tenant)
  }

  /// The bearer token sent with every call.
  public var token: String? {
    get { transport.token }
    set { transport.token = newValue }
  }

  /// The tenant sent with every call as `x-tenant`.
  public var tenant: String? {
    get { transport.tenant }
    set { transport.tenant = newValue }
  }

  /// Closes the connection, if this client owns one.
  public func close() async {
    await connection?.close()
  }
}
