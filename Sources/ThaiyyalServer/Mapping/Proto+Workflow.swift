import SwiftProtobuf
public import ThaiyyalCore
import ThaiyyalEngine
public import ThaiyyalProto

/// The wire form of ``WorkflowRecord/Visibility``, shared by the server and the command line.
extension WorkflowRecord.Visibility {
  public init?(_ proto: Thaiyyal_V1_Visibility) {
    switch proto {
    case .private: self = .private
    case .team: self = .team
    case .public: self = .public
    default: return nil
    }
  }

  public var proto: Thaiyyal_V1_Visibility {
    switch self {
    case .private: .private
    case .team: .team
    case .public: .public
    }
  }
}

/// The wire form of ``ExecutionRecord/Status``.
extension ExecutionRecord.Status {
  public init?(_ proto: Thaiyyal_V1_ExecutionStatus) {
    switch proto {
    case .pending: self = .pending
    case .running: self = .running
    case .completed: self = .completed
    case .failed: self = .failed
    case .cancelled: self = .cancelled
    default: return nil
    }
  }

  public var proto: Thaiyyal_V1_ExecutionStatus {
    switch self {
    case .pending: .pending
    case .running: .running
    case .completed: .completed
    case .failed: .failed
    case .cancelled: .cancelled
    }
  }
}

/// The wire form of ``ExecutionRecord/Trigger``.
extension ExecutionRecord.Trigger {
  public init?(_ proto: Thaiyyal_V1_Trigger) {
    switch proto {
    case .manual: self = .manual
    case .api: self = .api
    case .scheduled: self = .scheduled
    case .webhook: self = .webhook
    default: return nil
    }
  }

  public var proto: Thaiyyal_V1_Trigger {
    switch self {
    case .manual: .manual
    case .api: .api
    case .scheduled: .scheduled
    case .webhook: .webhook
    }
  }
}

extension WorkflowRecord {
  /// The message for this workflow shown at `version` (whose definition is given, if any).
  func proto(version: Int64? = nil, definition: String? = nil) -> Thaiyyal_V1_Workflow {
    var proto = Thaiyyal_V1_Workflow()
    proto.id = id.rawValue
    proto.tenantID = tenantID.rawValue
    proto.name = name
    proto.description_p = description
    proto.tags = tags
    proto.category = category
    proto.visibility = visibility.proto
    proto.published = published
    proto.version = version ?? latestVersion
    proto.latestVersion = latestVersion
    proto.definitionJson = definition ?? ""
    proto.createdBy = createdBy
    proto.updatedBy = updatedBy
    proto.createTime = Google_Protobuf_Timestamp(milliseconds: createdAt)
    proto.updateTime = Google_Protobuf_Timestamp(milliseconds: updatedAt)
    proto.executionCount = executionCount
    if let lastExecutedAt {
      proto.lastExecutionTime = Google_Protobuf_Timestamp(milliseconds: lastExecutedAt)
    }
    proto.etag = etag
    return proto
  }
}

extension WorkflowVersion {
  var proto: Thaiyyal_V1_WorkflowVersion {
    var proto = Thaiyyal_V1_WorkflowVersion()
    proto.workflowID = workflowID.rawValue
    proto.version = version
    proto.definitionJson = definition ?? ""
    proto.changeDescription = changeDescription
    proto.createdBy = createdBy
    proto.createTime = Google_Protobuf_Timestamp(milliseconds: createdAt)
    return proto
  }
}

extension ExecutionRecord {
  var proto: Thaiyyal_V1_Execution {
    var proto = Thaiyyal_V1_Execution()
    proto.id = id.rawValue
    proto.tenantID = tenantID.rawValue
    proto.workflowID = workflowID.rawValue
    proto.workflowVersion = workflowVersion
    proto.status = status.proto
    proto.trigger = trigger.proto
    proto.inputJson = input ?? ""
    proto.resultJson = result ?? ""
    proto.error = error ?? ""
    proto.createdBy = createdBy
    proto.createTime = Google_Protobuf_Timestamp(milliseconds: createdAt)
    if let startedAt { proto.startTime = Google_Protobuf_Timestamp(milliseconds: startedAt) }
    if let finishedAt { proto.endTime = Google_Protobuf_Timestamp(milliseconds: finishedAt) }
    proto.nodesExecuted = nodesExecuted
    proto.nodeRuns = NodeRunsJSON.decode(nodeRuns)
    return proto
  }
}

/// How per-node records are stored: `[{"node_id", "node_type", "status", "duration_ns"}]`.
enum NodeRunsJSON {
  static func encode(_ runs: [NodeRun]) -> String {
    JSONWriter().string(
      .array(
        runs.map { run in
          let (seconds, attoseconds) = run.duration.components
          return [
            "node_id": .string(run.nodeID), "node_type": .string(run.nodeType),
            "status": .string(run.status.rawValue),
            "duration_ns": .number(Double(seconds) * 1e9 + Double(attoseconds / 1_000_000_000)),
          ]
        }
      )
    )
  }

  static func decode(_ text: String?) -> [Thaiyyal_V1_NodeRun] {
    guard let text, let runs = (try? JSONParser().parse(text))?.arrayValue else { return [] }
    return runs.map { run in
      var proto = Thaiyyal_V1_NodeRun()
      proto.nodeID = run["node_id"]?.stringValue ?? ""
      proto.nodeType = run["node_type"]?.stringValue ?? ""
      proto.status = run["status"]?.stringValue ?? ""
      let nanoseconds = Int64(run["duration_ns"]?.numberValue ?? 0)
      proto.duration = Google_Protobuf_Duration(
        seconds: nanoseconds / 1_000_000_000,
        nanos: Int32(nanoseconds % 1_000_000_000)
      )
      return proto
    }
  }
}
