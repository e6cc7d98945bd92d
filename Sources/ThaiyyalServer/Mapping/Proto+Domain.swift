import Foundation
import SwiftProtobuf
public import ThaiyyalCore
public import ThaiyyalProto

extension Google_Protobuf_Timestamp {
  init(milliseconds: Int64) {
    self.init(seconds: milliseconds / 1000, nanos: Int32(milliseconds % 1000) * 1_000_000)
  }

  var milliseconds: Int64 { seconds * 1000 + Int64(nanos / 1_000_000) }
}

/// The wire form of ``Plan``, shared by the server and the command line.
extension Plan {
  public init?(_ proto: Thaiyyal_V1_Plan) {
    switch proto {
    case .free: self = .free
    case .pro: self = .pro
    case .enterprise: self = .enterprise
    default: return nil
    }
  }

  public var proto: Thaiyyal_V1_Plan {
    switch self {
    case .free: .free
    case .pro: .pro
    case .enterprise: .enterprise
    }
  }
}

/// The wire form of ``Role``, shared by the server and the command line.
extension Role {
  public init?(_ proto: Thaiyyal_V1_Role) {
    switch proto {
    case .viewer: self = .viewer
    case .member: self = .member
    case .admin: self = .admin
    case .owner: self = .owner
    default: return nil
    }
  }

  public var proto: Thaiyyal_V1_Role {
    switch self {
    case .viewer: .viewer
    case .member: .member
    case .admin: .admin
    case .owner: .owner
    }
  }
}

/// The wire form of ``Tenant.Status``, shared by the server and the command line.
extension Tenant.Status {
  public init?(_ proto: Thaiyyal_V1_Tenant.Status) {
    switch proto {
    case .active: self = .active
    case .suspended: self = .suspended
    case .deleted: self = .deleted
    default: return nil
    }
  }

  public var proto: Thaiyyal_V1_Tenant.Status {
    switch self {
    case .active: .active
    case .suspended: .suspended
    case .deleted: .deleted
    }
  }
}

extension PlanLimits {
  /// Proto field accessors, in the order of ``PlanLimits/fields``.
  private static let protoFields: [any WritableKeyPath<Thaiyyal_V1_PlanLimits, Int64> & Sendable] =
    [
      \.maxUsers, \.maxWorkflows, \.maxExecutionsPerDay, \.maxStorageBytes, \.maxNodesPerWorkflow,
      \.maxExecutionSeconds, \.rateLimitPerSecond, \.rateLimitBurst, \.maxConcurrentExecutions,
      \.maxQueuedExecutions, \.executionRetentionDays, \.maxValueBytes, \.maxRunMemoryBytes,
      \.maxResultBytes,
    ]
  private static let protoPresence: [any KeyPath<Thaiyyal_V1_PlanLimits, Bool> & Sendable] = [
    \.hasMaxUsers, \.hasMaxWorkflows, \.hasMaxExecutionsPerDay, \.hasMaxStorageBytes,
    \.hasMaxNodesPerWorkflow, \.hasMaxExecutionSeconds, \.hasRateLimitPerSecond,
    \.hasRateLimitBurst,
    \.hasMaxConcurrentExecutions, \.hasMaxQueuedExecutions, \.hasExecutionRetentionDays,
    \.hasMaxValueBytes, \.hasMaxRunMemoryBytes, \.hasMaxResultBytes,
  ]

  init(_ proto: Thaiyyal_V1_PlanLimits) {
    self.init()
    for (index, field) in Self.fields.enumerated() where proto[keyPath: Self.protoPresence[index]] {
      self[keyPath: field] = proto[keyPath: Self.protoFields[index]]
    }
  }

  var proto: Thaiyyal_V1_PlanLimits {
    var proto = Thaiyyal_V1_PlanLimits()
    for (index, field) in Self.fields.enumerated() {
      if let value = self[keyPath: field] { proto[keyPath: Self.protoFields[index]] = value }
    }
    return proto
  }
}

extension Tenant {
  func proto(plans: PlanCatalog) -> Thaiyyal_V1_Tenant {
    var proto = Thaiyyal_V1_Tenant()
    proto.id = id.rawValue
    proto.slug = slug
    proto.name = name
    proto.status = status.proto
    proto.plan = plan.proto
    proto.limitOverrides = limitOverrides.proto
    proto.effectiveLimits = plans.effectiveLimits(plan: plan, overrides: limitOverrides).proto
    proto.settingsJson = settingsJSON
    proto.customDomain = customDomain ?? ""
    proto.createTime = Google_Protobuf_Timestamp(milliseconds: createdAt)
    proto.updateTime = Google_Protobuf_Timestamp(milliseconds: updatedAt)
    if let deletedAt { proto.deleteTime = Google_Protobuf_Timestamp(milliseconds: deletedAt) }
    proto.etag = etag
    return proto
  }
}

extension User {
  /// The user as the API shows it `now`: an active user whose lock has not yet run out is LOCKED.
  func proto(at now: Int64) -> Thaiyyal_V1_User {
    var proto = Thaiyyal_V1_User()
    proto.id = id.rawValue
    proto.tenantID = tenantID.rawValue
    proto.email = email
    proto.username = username
    proto.displayName = displayName
    proto.role = role.proto
    let locked = lockedUntil.map { $0 > now } ?? false
    proto.status =
      switch status {
      case .active: locked ? .locked : .active
      case .suspended: .suspended
      case .deleted: .unspecified
      }
    proto.createTime = Google_Protobuf_Timestamp(milliseconds: createdAt)
    proto.updateTime = Google_Protobuf_Timestamp(milliseconds: updatedAt)
    if let lastLoginAt {
      proto.lastLoginTime = Google_Protobuf_Timestamp(milliseconds: lastLoginAt)
    }
    proto.etag = etag
    return proto
  }
}

extension AuditEntry {
  var proto: Thaiyyal_V1_AuditLog {
    var proto = Thaiyyal_V1_AuditLog()
    proto.id = id
    proto.tenantID = tenantID.rawValue
    proto.time = Google_Protobuf_Timestamp(milliseconds: occurredAt)
    proto.actorType =
      switch actorType {
      case .user: .user
      case .operator: .operator
      case .system: .system
      case .anonymous: .anonymous
      }
    proto.actorID = actorID
    proto.action = action
    proto.resourceType = resourceType
    proto.resourceID = resourceID
    proto.outcome =
      switch outcome {
      case .success: .success
      case .denied: .denied
      case .failure: .failure
      }
    proto.reason = reason
    proto.peer = peer
    proto.requestID = requestID
    proto.detailsJson = changesJSON
    return proto
  }
}
