public import ThaiyyalCore

/// Which audit entries a list returns.
public struct AuditFilter: Sendable, Hashable {
  /// An exact action, or a prefix when it ends with `.` (`user.`).
  public var action: String?
  public var resourceType: String?
  public var resourceID: String?
  public var actorID: String?
  public var outcome: AuditEntry.Outcome?
  /// Inclusive lower bound, milliseconds.
  public var from: Int64?
  /// Exclusive upper bound, milliseconds.
  public var until: Int64?

  public init() {}
}

/// Which executions a list returns.
public struct ExecutionFilter: Sendable, Hashable {
  public var workflowID: WorkflowID?
  public var status: ExecutionRecord.Status?
  public var trigger: ExecutionRecord.Trigger?
  public var createdBy: String?
  /// Inclusive lower bound of the creation time, milliseconds.
  public var from: Int64?
  /// Exclusive upper bound of the creation time, milliseconds.
  public var until: Int64?
  /// Include input, result and node runs.
  public var withPayloads = false
  /// Executions of private workflows the viewer may not see are left out.
  public var viewer: WorkflowViewer = .everything
  public init() {}
}

/// Which users a list returns.
public struct UserFilter: Sendable, Hashable {
  public var role: Role?
  public var status: User.Status?
  /// Email or username prefix.
  public var prefix: String?
  public init() {}
}

/// Which workflows a list returns, in which order.
public struct WorkflowFilter: Sendable, Hashable {
  public enum Order: Sendable, Hashable {
    /// Most recently updated first.
    case updatedDescending
    /// By name, then id.
    case nameAscending
  }
  public var tag: String?
  public var category: String?
  public var visibility: WorkflowRecord.Visibility?
  public var createdBy: String?
  public var published: Bool?
  public var namePrefix: String?
  public var order: Order = .updatedDescending
  public var viewer: WorkflowViewer = .everything
  public init() {}
}

/// A list position: the sort key and id of the last workflow on the previous page.
public struct WorkflowCursor: Sendable, Hashable {
  public var key: String
  public var id: WorkflowID
  public init(key: String, id: WorkflowID) {
    self.key = key
    self.id = id
  }
}
