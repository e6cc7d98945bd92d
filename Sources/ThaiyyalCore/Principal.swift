/// Who is calling, once authenticated.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
  /// The platform operator, identified by the Unix user id of a trusted peer or an operator token.
  case `operator`(uid: UInt32?)
  /// A user of a tenant, from a verified token.
  case user(id: UserID, tenantID: TenantID, role: Role)

  /// How the audit log names the actor: a user id or `operator:uid=N`.
  public var actorID: String {
    switch self {
    case .operator(let uid?): "operator:uid=\(uid)"
    case .operator(nil): "operator"
    case .user(let id, _, _): id.rawValue
    }
  }

  public var isOperator: Bool {
    if case .operator = self { true } else { false }
  }

  public var description: String { actorID }
}
