/// Every action the audit log records, in one place: the log's vocabulary is part of the API
/// (clients filter on it), so a new action is added here or not at all.
public enum AuditAction: String, Sendable, CaseIterable {
  case tenantCreated = "tenant.created"
  case tenantUpdated = "tenant.updated"
  case tenantSuspended = "tenant.suspended"
  case tenantResumed = "tenant.resumed"
  case tenantDeleted = "tenant.deleted"
  /// The operator wrote the tenant to an archive (`thaiyyal tenant export`).
  case tenantExported = "tenant.exported"
  /// The tenant arrived from an archive (`thaiyyal tenant import`).
  case tenantImported = "tenant.imported"

  case userCreated = "user.created"
  case userUpdated = "user.updated"
  case userSuspended = "user.suspended"
  case userResumed = "user.resumed"
  case userUnlocked = "user.unlocked"
  case userLocked = "user.locked"
  case userDeleted = "user.deleted"
  case userLogin = "user.login"
  case userLogout = "user.logout"
  case userPasswordChanged = "user.password_changed"

  case workflowCreated = "workflow.created"
  case workflowUpdated = "workflow.updated"
  case workflowDeleted = "workflow.deleted"
  case workflowRolledBack = "workflow.rolled_back"
  case workflowPublished = "workflow.published"
  case workflowUnpublished = "workflow.unpublished"

  case executionCreated = "execution.created"
  case executionCancelled = "execution.cancelled"
  case executionRequeued = "execution.requeued"
  case executionInterrupted = "execution.interrupted"
  case executionPoisoned = "execution.poisoned"

  /// A call refused at authentication or authorization; the resource is the method.
  case authDenied = "auth.denied"

  /// The kind of resource the action is about: the part before the dot (`method` for refusals).
  public var resourceType: String {
    self == .authDenied ? "method" : String(rawValue.prefix { $0 != "." })
  }
}
