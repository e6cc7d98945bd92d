/// The outcome of a run in the original's `Result` shape (ENGINE.md section 2), plus what the
/// server records per node.
public struct ExecutionResult: Sendable, Hashable {
  /// 16 lower-case hex characters.
  public var executionID: String
  public var workflowID: String?
  /// Results of the nodes that ran (skipped nodes are absent).
  public var nodeResults: [String: JSONValue]
  public var finalOutput: JSONValue?
  /// Empty on success; exactly one message on failure.
  public var errors: [String]
  public var nodeRuns: [NodeRun]
  /// How many nodes ran alongside others (``BranchConcurrency``); 0 for a sequential run.
  public var concurrentNodes = 0
  /// Whether the run stopped at its wall-clock limit (``EngineLimits/maxExecutionTime``), so a
  /// caller need not recognise the error text.
  public var timedOut = false

  public var succeeded: Bool { errors.isEmpty }

  /// The `Result` JSON object.
  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "execution_id": .string(executionID),
      "node_results": .object(nodeResults),
      "final_output": finalOutput ?? .null,
    ]
    if let workflowID, !workflowID.isEmpty { object["workflow_id"] = .string(workflowID) }
    if !errors.isEmpty { object["errors"] = .array(errors.map(JSONValue.string)) }
    return .object(object)
  }
}

/// One node's run: for the execution record.
public struct NodeRun: Sendable, Hashable {
  public enum Status: String, Sendable {
    case completed, failed, skipped
  }

  public var nodeID: String
  public var nodeType: String
  public var status: Status
  public var duration: Duration
}
