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

  /// The Result as JSON text of at most `maxBytes`, for storing. A larger one keeps its ids,
  /// errors and (when it fits) `final_output`, drops `node_results`, and says so in `truncated`,
  /// so a client always learns what happened and why the rest is missing. The full text is never
  /// written when its estimate is already far over the limit.
  public func jsonText(maxBytes: Int) -> String {
    let full = json
    if let text = Self.fitting(full, maxBytes) { return text }
    var kept = full.objectValue ?? [:]
    kept["node_results"] = .object([:])
    func marker(_ omitted: String) -> JSONValue {
      [
        "reason": .string(
          "the result is larger than the plan's limit of \(maxBytes) bytes; \(omitted) omitted"
        ),
        "limit_bytes": .number(Double(maxBytes)),
      ]
    }
    kept["truncated"] = marker("node_results")
    if let text = Self.fitting(.object(kept), maxBytes) { return text }
    kept["final_output"] = .null
    kept["truncated"] = marker("node_results and final_output")
    if let text = Self.fitting(.object(kept), maxBytes) { return text }
    if kept["errors"] != nil { kept["errors"] = ["the run's error is too long to store"] }
    return JSONWriter().string(.object(kept))
  }

  /// The value's JSON text when it is at most `maxBytes`; not written when its estimate is far
  /// over.
  private static func fitting(_ value: JSONValue, _ maxBytes: Int) -> String? {
    guard value.estimatedSize(upTo: maxBytes * 4) != nil else { return nil }
    let text = JSONWriter().string(value)
    return text.utf8.count <= maxBytes ? text : nil
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
