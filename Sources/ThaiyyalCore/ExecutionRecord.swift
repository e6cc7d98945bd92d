/// One run of a workflow version: what was asked, what happened, and when.
public struct ExecutionRecord: Sendable, Hashable {
  public enum Status: String, Sendable, Codable, CaseIterable {
    case pending, running, completed, failed, cancelled

    /// Whether the run is over; only finished executions are pruned by retention.
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
  }

  public enum Trigger: String, Sendable, Codable, CaseIterable {
    case manual, api, scheduled, webhook
  }

  public var tenantID: TenantID
  public var id: ExecutionID
  public var workflowID: WorkflowID
  public var workflowVersion: Int64
  public var status: Status
  public var trigger: Trigger
  /// JSON text; `nil` when there is none or a list left it out.
  public var input: String?
  /// The Thaiyyal `Result` as JSON text, once finished.
  public var result: String?
  public var error: String?
  public var nodesExecuted: Int64
  /// `[{"node_id", "node_type", "status", "duration_ns"}]` as JSON text.
  public var nodeRuns: String?
  public var createdBy: String
  public var createdAt: Int64
  public var startedAt: Int64?
  public var finishedAt: Int64?
  /// How many times the run was started (crash recovery stops re-running it after a few).
  public var attempts: Int64 = 0

  public init(
    tenantID: TenantID,
    id: ExecutionID,
    workflowID: WorkflowID,
    workflowVersion: Int64,
    status: Status = .pending,
    trigger: Trigger,
    input: String?,
    result: String? = nil,
    error: String? = nil,
    nodesExecuted: Int64 = 0,
    nodeRuns: String? = nil,
    createdBy: String,
    createdAt: Int64,
    startedAt: Int64? = nil,
    finishedAt: Int64? = nil
  ) {
    self.tenantID = tenantID
    self.id = id
    self.workflowID = workflowID
    self.workflowVersion = workflowVersion
    self.status = status
    self.trigger = trigger
    self.input = input
    self.result = result
    self.error = error
    self.nodesExecuted = nodesExecuted
    self.nodeRuns = nodeRuns
    self.createdBy = createdBy
    self.createdAt = createdAt
    self.startedAt = startedAt
    self.finishedAt = finishedAt
  }
}

/// How a finished run ended, as the store records it.
public struct ExecutionOutcome: Sendable, Hashable {
  public var status: ExecutionRecord.Status
  public var result: String?
  public var error: String?
  public var nodesExecuted: Int64
  public var nodeRuns: String?
  public var finishedAt: Int64

  public init(
    status: ExecutionRecord.Status,
    result: String?,
    error: String?,
    nodesExecuted: Int64,
    nodeRuns: String?,
    finishedAt: Int64
  ) {
    self.status = status
    self.result = result
    self.error = error
    self.nodesExecuted = nodesExecuted
    self.nodeRuns = nodeRuns
    self.finishedAt = finishedAt
  }
}
