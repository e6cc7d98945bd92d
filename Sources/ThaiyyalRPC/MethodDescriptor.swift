/// Names one RPC method: its fully qualified service and its method name.
///
/// Generated code declares one per method (`Thaiyyal_V1_Health.Method.check`), and the router,
/// interceptors and the authorization table key on it.
public struct MethodDescriptor: Hashable, Sendable, CustomStringConvertible {
  /// The fully qualified service name, e.g. `thaiyyal.v1.WorkflowService`.
  public let service: String
  /// The method name as written in the `.proto` file, e.g. `CreateWorkflow`.
  public let method: String

  public init(service: String, method: String) {
    self.service = service
    self.method = method
  }

  /// `service/method`, the form used in logs and errors.
  public var fullName: String { "\(service)/\(method)" }

  public var description: String { fullName }
}

/// Names a service and lists its methods, so a whole service can be registered or scoped at once.
public struct ServiceDescriptor: Hashable, Sendable, CustomStringConvertible {
  public let name: String
  public let methods: [MethodDescriptor]

  public init(name: String, methods: [String]) {
    self.name = name
    self.methods = methods.map { MethodDescriptor(service: name, method: $0) }
  }

  public var description: String { name }
}
