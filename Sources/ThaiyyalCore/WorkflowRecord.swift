/// A stored workflow of one tenant: its descriptive fields and where its version history stands.
/// The definition itself lives in its versions (``WorkflowVersion``), which never change.
public struct WorkflowRecord: Sendable, Hashable {
  /// Who may see a workflow inside its tenant. No visibility ever exposes it to another tenant.
  public enum Visibility: String, Sendable, Codable, CaseIterable {
    /// Its creator, admins and owners.
    case `private`
    /// Every member of the tenant.
    case team
    /// Every member of the tenant; marked for a future cross-tenant catalogue.
    case `public`
  }

  public var tenantID: TenantID
  public var id: WorkflowID
  public var name: String
  public var description: String
  public var tags: [String]
  public var category: String
  public var visibility: Visibility
  public var published: Bool
  public var latestVersion: Int64
  public var createdBy: String
  public var updatedBy: String
  public var createdAt: Int64
  public var updatedAt: Int64
  public var executionCount: Int64
  public var lastExecutedAt: Int64?
  public var revision: Int64

  public init(
    tenantID: TenantID,
    id: WorkflowID,
    name: String,
    description: String = "",
    tags: [String] = [],
    category: String = "",
    visibility: Visibility = .team,
    published: Bool = false,
    latestVersion: Int64 = 1,
    createdBy: String,
    updatedBy: String,
    createdAt: Int64,
    updatedAt: Int64,
    executionCount: Int64 = 0,
    lastExecutedAt: Int64? = nil,
    revision: Int64 = 1
  ) {
    self.tenantID = tenantID
    self.id = id
    self.name = name
    self.description = description
    self.tags = tags
    self.category = category
    self.visibility = visibility
    self.published = published
    self.latestVersion = latestVersion
    self.createdBy = createdBy
    self.updatedBy = updatedBy
    self.createdAt = createdAt
    self.updatedAt = updatedAt
    self.executionCount = executionCount
    self.lastExecutedAt = lastExecutedAt
    self.revision = revision
  }

  /// Changes with every edit (not with executions, which are not edits).
  public var etag: String { "\"\(revision)\"" }

  /// Whether `viewer` may see this workflow: private ones only their creator, admins and owners.
  public func isVisible(to viewer: WorkflowViewer) -> Bool {
    switch viewer {
    case .everything: true
    case .user(let id, let role): visibility != .private || role >= .admin || createdBy == id
    }
  }
}

/// Who is looking at workflows, for visibility rules.
public enum WorkflowViewer: Sendable, Hashable {
  /// The operator, or a user who sees every workflow of the tenant.
  case everything
  case user(id: String, role: Role)
}

/// One immutable version of a workflow's definition.
public struct WorkflowVersion: Sendable, Hashable {
  public var workflowID: WorkflowID
  public var version: Int64
  /// The Thaiyyal definition as JSON text; `nil` when a list left it out.
  public var definition: String?
  public var changeDescription: String
  public var createdBy: String
  public var createdAt: Int64

  public init(
    workflowID: WorkflowID,
    version: Int64,
    definition: String?,
    changeDescription: String,
    createdBy: String,
    createdAt: Int64
  ) {
    self.workflowID = workflowID
    self.version = version
    self.definition = definition
    self.changeDescription = changeDescription
    self.createdBy = createdBy
    self.createdAt = createdAt
  }
}
