/// One line of a tenant's append-only audit log.
public struct AuditEntry: Sendable, Hashable {
  public enum ActorType: String, Sendable, Codable, CaseIterable {
    case user, `operator`, system, anonymous
  }

  public enum Outcome: String, Sendable, Codable, CaseIterable {
    case success, denied, failure
  }

  public var tenantID: TenantID
  public var id: String
  public var occurredAt: Int64
  public var actorType: ActorType
  public var actorID: String
  /// E.g. `tenant.created`.
  public var action: String
  public var resourceType: String
  public var resourceID: String
  public var outcome: Outcome
  public var reason: String
  public var peer: String
  public var requestID: String
  /// Old and new values of changed fields as a JSON object; never secrets.
  public var changesJSON: String

  public init(
    tenantID: TenantID,
    id: String = UUIDv7.generate(),
    occurredAt: Int64 = Int64(Clock.nowMilliseconds()),
    actorType: ActorType,
    actorID: String,
    action: String,
    resourceType: String,
    resourceID: String,
    outcome: Outcome = .success,
    reason: String = "",
    peer: String = "",
    requestID: String = "",
    changesJSON: String = "{}"
  ) {
    self.tenantID = tenantID
    self.id = id
    self.occurredAt = occurredAt
    self.actorType = actorType
    self.actorID = actorID
    self.action = action
    self.resourceType = resourceType
    self.resourceID = resourceID
    self.outcome = outcome
    self.reason = reason
    self.peer = peer
    self.requestID = requestID
    self.changesJSON = changesJSON
  }
}

/// Who did something and from where, carried from the call into the audit entry.
public struct AuditContext: Sendable, Hashable {
  public var actorType: AuditEntry.ActorType
  public var actorID: String
  public var peer: String
  public var requestID: String

  public init(actorType: AuditEntry.ActorType, actorID: String, peer: String, requestID: String) {
    self.actorType = actorType
    self.actorID = actorID
    self.peer = peer
    self.requestID = requestID
  }

  /// An entry in `tenant` for `action` on a resource.
  public func entry(
    tenant: TenantID,
    action: String,
    resourceType: String,
    resourceID: String,
    changesJSON: String = "{}",
    outcome: AuditEntry.Outcome = .success,
    reason: String = ""
  ) -> AuditEntry {
    AuditEntry(
      tenantID: tenant,
      actorType: actorType,
      actorID: actorID,
      action: action,
      resourceType: resourceType,
      resourceID: resourceID,
      outcome: outcome,
      reason: reason,
      peer: peer,
      requestID: requestID,
      changesJSON: changesJSON
    )
  }
}
