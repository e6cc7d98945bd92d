import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

/// Workflow documents the workflow and execution tests use.
enum Definitions {
  /// 2 + 3: final_output 5.
  static let sum = """
    {"nodes": [{"id": "a", "data": {"value": 2}}, {"id": "b", "data": {"value": 3}}, {"id": "s", "data": {"op": "add"}}],
     "edges": [{"source": "a", "target": "s"}, {"source": "b", "target": "s"}]}
    """
  /// 10 × the run input's `x`.
  static let timesInput = """
    {"nodes": [{"id": "n", "data": {"value": 10}}, {"id": "e", "data": {"expression": "input * variables.input.x"}}],
     "edges": [{"source": "n", "target": "e"}]}
    """
  /// Fails: text into arithmetic.
  static let failing = """
    {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "t", "data": {"text": "x"}}, {"id": "s", "data": {"op": "add"}}],
     "edges": [{"source": "a", "target": "s"}, {"source": "t", "target": "s"}]}
    """

  /// A number followed by `count` delays of `milliseconds` each, in a chain.
  static func slow(_ count: Int, milliseconds: Int) -> String {
    var nodes = [#"{"id": "n", "data": {"value": 1}}"#]
    var edges: [String] = []
    var previous = "n"
    for index in 0 ..< count {
      nodes.append(#"{"id": "d\#(index)", "data": {"duration": "\#(milliseconds)ms"}}"#)
      edges.append(#"{"source": "\#(previous)", "target": "d\#(index)"}"#)
      previous = "d\(index)"
    }
    return
      #"{"nodes": [\#(nodes.joined(separator: ", "))], "edges": [\#(edges.joined(separator: ", "))]}"#
  }

  /// A workflow with `count` number nodes.
  static func numbers(_ count: Int) -> String {
    let nodes = (0 ..< count).map { #"{"id": "n\#($0)", "data": {"value": \#($0)}}"# }
    return #"{"nodes": [\#(nodes.joined(separator: ", "))]}"#
  }
}

extension Fixture {
  /// Changes the tenant's plan limit overrides (as the operator).
  func setLimits(_ change: (inout Thaiyyal_V1_PlanLimits) -> Void) async throws {
    var update = Thaiyyal_V1_UpdateTenantRequest()
    update.tenant.slug = tenant.slug
    change(&update.tenant.limitOverrides)
    update.updateMask.paths = ["limit_overrides"]
    _ = try await operatorClient.tenants.updateTenant(update)
  }

  func createWorkflow(
    as role: Role = .member,
    name: String = "flow",
    definition: String = Definitions.sum,
    visibility: Thaiyyal_V1_Visibility = .unspecified
  ) async throws -> Thaiyyal_V1_Workflow {
    var request = Thaiyyal_V1_CreateWorkflowRequest()
    request.name = name
    request.definitionJson = definition
    request.visibility = visibility
    return try await client(role).workflows.createWorkflow(request)
  }

  func execute(
    _ workflowID: String,
    as role: Role = .member,
    input: String = ""
  ) async throws -> Thaiyyal_V1_Execution {
    var request = Thaiyyal_V1_ExecuteWorkflowRequest()
    request.workflowID = workflowID
    request.inputJson = input
    return try await client(role).executions.executeWorkflow(request)
  }

  func start(_ workflowID: String, as role: Role = .member) async throws -> Thaiyyal_V1_Execution {
    var request = Thaiyyal_V1_StartExecutionRequest()
    request.workflowID = workflowID
    return try await client(role).executions.startExecution(request)
  }

  /// Polls an execution until it finishes (bounded).
  func waitFinished(_ id: String, as role: Role = .member) async throws -> Thaiyyal_V1_Execution {
    let client = client(role)
    for _ in 0 ..< 1000 {
      let execution = try await client.executions.getExecution(.with { $0.id = id })
      if [.completed, .failed, .cancelled].contains(execution.status) { return execution }
      try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("execution \(id) did not finish")
    return try await client.executions.getExecution(.with { $0.id = id })
  }

  /// The tenant's audit actions, oldest first.
  func auditActions() async throws -> [String] {
    let page = try await operatorClient.audit.listAuditLogs(
      .with { $0.pageSize = 1000 },
      options: CallOptions(metadata: ["x-tenant": tenant.slug])
    )
    return page.entries.map(\.action).reversed()
  }
}

/// The status code and ErrorInfo reason of a failed call.
func failure(_ body: () async throws -> some Any) async -> (RPCError.Code, String?)? {
  do {
    _ = try await body()
    return nil
  } catch let error as RPCError {
    return (error.code, error.errorInfo?.reason)
  } catch {
    return (.unknown, nil)
  }
}
