/// A user's role within its tenant; each includes the rights of the ones before it.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
  case viewer, member, admin, owner

  private var rank: Int {
    switch self {
    case .viewer: 0
    case .member: 1
    case .admin: 2
    case .owner: 3
    }
  }

  public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
