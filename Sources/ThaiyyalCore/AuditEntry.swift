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
    occurredAt: Int64,
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

/// Who did something, from where and when, carried from the call into its audit entries.
public struct AuditContext: Sendable, Hashable {
  public var actorType: AuditEntry.ActorType
  public var actorID: String
  public var peer: String
  public var requestID: String
  /// When the call was made (milliseconds since the epoch): every entry it writes carries it.
  public var time: Int64

  public init(
    actorType: AuditEntry.ActorType,
    actorID: String,
    peer: String,
    requestID: String,
    time: Int64
  ) {
    self.actorType = actorType
    self.actorID = actorID
    self.peer = peer
    self.requestID = requestID
    self.time = time
  }

  /// The server itself (recovery, poisoned runs), at `time`.
  public static func system(at time: Int64) -> AuditContext {
    AuditContext(actorType: .system, actorID: "system", peer: "", requestID: "", time: time)
  }

  /// An entry in `tenant` recording `action` on the resource `resourceID`.
  public func entry(
    tenant: TenantID,
    _ action: AuditAction,
    resourceID: String,
    changes: String = "{}",
    outcome: AuditEntry.Outcome = .success,
    reason: String = ""
  ) -> AuditEntry {
    AuditEntry(
      tenantID: tenant,
      occurredAt: time,
      actorType: actorType,
      actorID: actorID,
      action: action.rawValue,
      resourceType: action.resourceType,
      resourceID: resourceID,
      outcome: outcome,
      reason: reason,
      peer: peer,
      requestID: requestID,
      changesJSON: changes
    )
  }
}
