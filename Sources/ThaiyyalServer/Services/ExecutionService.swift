import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.ExecutionService`: runs of the caller's tenant's workflows. Checks the messages
/// (the run input parsed once, here) and maps them to ``Executions``, which owns the rules.
struct ExecutionService: Thaiyyal_V1_ExecutionService.ServiceProtocol {
  let executions: Executions

  /// The largest input a run may be given.
  static let maxInputBytes = 1 << 20
  /// The most a page of executions with results carries, under the 4 MiB message limit.
  static let maxListResponseBytes = 3 << 20

  func executeWorkflow(
    request: Thaiyyal_V1_ExecuteWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let call = try context.requireTenantCall()
    let accepted = try await executions.accept(Self.runRequest(request), in: call)
    return try await executions.finished(accepted.id, in: call).proto
  }

  func startExecution(
    request: Thaiyyal_V1_StartExecutionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let call = try context.requireTenantCall()
    return try await executions.accept(Self.runRequest(request), in: call).proto
  }

  func getExecution(
    request: Thaiyyal_V1_GetExecutionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let id = try ExecutionID(requested: request.id)
    return try await executions.execution(id, in: context.requireTenantCall()).proto
  }

  func listExecutions(
    request: Thaiyyal_V1_ListExecutionsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListExecutionsResponse {
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    var filter = ExecutionFilter()
    var violations = Violations()
    if !request.workflowID.isEmpty {
      violations.check(UUIDv7.isValid(request.workflowID), "workflow_id", "not a workflow id")
      filter.workflowID = WorkflowID(request.workflowID)
    }
    if request.status != .unspecified {
      filter.status = ExecutionRecord.Status(request.status)
      violations.check(filter.status != nil, "status", "unknown value")
    }
    if request.trigger != .unspecified {
      filter.trigger = ExecutionRecord.Trigger(request.trigger)
      violations.check(filter.trigger != nil, "trigger", "unknown value")
    }
    violations.check(request.createdBy.utf8.count <= 64, "created_by", "too long")
    try violations.throwIfAny()
    filter.createdBy = request.createdBy.isEmpty ? nil : request.createdBy
    filter.from = request.hasStartTime ? request.startTime.milliseconds : nil
    filter.until = request.hasEndTime ? request.endTime.milliseconds : nil
    filter.withPayloads = request.includeResults
    let result = try await executions.list(filter, page: page, in: context.requireTenantCall())
    // With results, a page also ends before the response would pass `maxListResponseBytes`
    // (each execution alone fits: see ExecutionResultLimits), so no page is too large to send.
    var items = result.items[...]
    var nextCursor = result.nextCursor
    if request.includeResults {
      var bytes = 0
      for (index, item) in result.items.enumerated() {
        bytes +=
          512 + (item.input?.utf8.count ?? 0) + (item.result?.utf8.count ?? 0)
          + (item.nodeRuns?.utf8.count ?? 0)
        if index > 0 && bytes > Self.maxListResponseBytes {
          items = result.items[..<index]
          nextCursor = result.items[index - 1].id.rawValue
          break
        }
      }
    }
    var response = Thaiyyal_V1_ListExecutionsResponse()
    response.executions = items.map(\.proto)
    response.nextPageToken = PageToken.encode(nextCursor)
    return response
  }

  func cancelExecution(
    request: Thaiyyal_V1_CancelExecutionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Execution {
    let id = try ExecutionID(requested: request.id)
    return try await executions.cancel(id, in: context.requireTenantCall()).proto
  }

  // MARK: Mapping

  /// A run request with every field checked and the input parsed.
  static func runRequest(_ message: some RunMessage) throws -> Executions.RunRequest {
    let (version, inputJSON, trigger) = (message.version, message.inputJson, message.trigger)
    let id = try WorkflowID(requested: message.workflowID)
    var violations = Violations()
    violations.check(version >= 0, "version", "must not be negative")
    violations.check(
      inputJSON.utf8.count <= maxInputBytes,
      "input_json",
      "larger than \(maxInputBytes) bytes"
    )
    let mapped = trigger == .unspecified ? .api : ExecutionRecord.Trigger(trigger)
    violations.check(mapped != nil, "trigger", "unknown value")
    try violations.throwIfAny()
    var input: JSONValue?
    if !inputJSON.isEmpty {
      do {
        input = try JSONParser().parse(inputJSON)
      } catch {
        throw RPCError(
          .invalidArgument,
          "input_json is not valid JSON: \(error)",
          details: [.badRequest([("input_json", "\(error)")])]
        )
      }
    }
    return Executions.RunRequest(
      workflowID: id,
      version: version,
      inputJSON: inputJSON,
      input: input,
      trigger: mapped!
    )
  }

}

/// The fields ExecuteWorkflow and StartExecution share.
protocol RunMessage {
  var workflowID: String { get }
  var version: Int64 { get }
  var inputJson: String { get }
  var trigger: Thaiyyal_V1_Trigger { get }
}

extension Thaiyyal_V1_ExecuteWorkflowRequest: RunMessage {}
extension Thaiyyal_V1_StartExecutionRequest: RunMessage {}
