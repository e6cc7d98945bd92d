import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.WorkflowService`: the workflows of the caller's tenant with their version history.
/// Checks the messages (definitions by the engine, under the tenant's limits) and maps them to
/// ``Workflows``, which owns the rules.
struct WorkflowService: Thaiyyal_V1_WorkflowService.ServiceProtocol {
  let workflows: Workflows

  func createWorkflow(
    request: Thaiyyal_V1_CreateWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let call = try context.requireTenantCall()
    var violations = Violations()
    WorkflowRules.checkName(request.name, field: "name", &violations)
    WorkflowRules.checkDescriptive(
      description: request.description_p,
      tags: request.tags,
      category: request.category,
      prefix: "",
      &violations
    )
    let visibility =
      request.visibility == .unspecified ? .team : WorkflowRecord.Visibility(request.visibility)
    violations.check(visibility != nil, "visibility", "unknown value")
    violations.check(!request.definitionJson.isEmpty, "definition_json", "is required")
    try violations.throwIfAny()
    try WorkflowRules.requireValid(request.definitionJson, limits: EngineLimits(plan: call.limits))
    let new = Workflows.NewWorkflow(
      name: request.name,
      description: request.description_p,
      tags: request.tags,
      category: request.category,
      visibility: visibility!,
      definition: request.definitionJson
    )
    return try await workflows.create(new, in: call).proto(definition: new.definition)
  }

  func getWorkflow(
    request: Thaiyyal_V1_GetWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let id = try WorkflowID(requested: request.id)
    guard request.version >= 0 else {
      throw RPCError(.invalidArgument, "version must not be negative")
    }
    let number = request.version == 0 ? nil : request.version
    let (workflow, version) = try await workflows.version(
      id,
      number,
      in: context.requireTenantCall()
    )
    return workflow.proto(version: version.version, definition: version.definition)
  }

  func listWorkflows(
    request: Thaiyyal_V1_ListWorkflowsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListWorkflowsResponse {
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    let filter = try WorkflowRules.filter(request)
    let cursor = page.after.flatMap(PageToken.split).map {
      WorkflowCursor(key: $0.key ?? "", id: WorkflowID($0.id))
    }
    let (listed, next) = try await workflows.list(
      filter,
      after: cursor,
      limit: page.size,
      withDefinitions: request.includeDefinition,
      in: context.requireTenantCall()
    )
    var response = Thaiyyal_V1_ListWorkflowsResponse()
    response.workflows = listed.map { workflow, definition in
      workflow.proto(definition: definition)
    }
    response.nextPageToken = PageToken.encode(
      next.map { PageToken.cursor(id: $0.id.rawValue, key: $0.key) }
    )
    return response
  }

  func updateWorkflow(
    request: Thaiyyal_V1_UpdateWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let call = try context.requireTenantCall()
    let id = try WorkflowID(requested: request.workflow.id)
    let edit = try WorkflowRules.edit(request, limits: EngineLimits(plan: call.limits))
    let (saved, definition) = try await workflows.update(id, edit, in: call)
    return saved.proto(definition: definition)
  }

  func deleteWorkflow(
    request: Thaiyyal_V1_DeleteWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_DeleteWorkflowResponse {
    let id = try WorkflowID(requested: request.id)
    try await workflows.delete(id, etag: request.etag, in: context.requireTenantCall())
    return Thaiyyal_V1_DeleteWorkflowResponse()
  }

  func listWorkflowVersions(
    request: Thaiyyal_V1_ListWorkflowVersionsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListWorkflowVersionsResponse {
    let id = try WorkflowID(requested: request.workflowID)
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    // The cursor is this workflow's id and the last version listed.
    var before: Int64?
    if let after = page.after {
      guard let (cursorID, key) = PageToken.split(after), cursorID == id.rawValue,
        let number = key.flatMap({ Int64($0) })
      else { throw RPCError(.invalidArgument, "page_token belongs to another list") }
      before = number
    }
    let versions = try await workflows.versions(
      id,
      before: before,
      limit: page.size + 1,
      withDefinitions: request.includeDefinition,
      in: context.requireTenantCall()
    )
    var response = Thaiyyal_V1_ListWorkflowVersionsResponse()
    response.versions = versions.prefix(page.size).map(\.proto)
    if versions.count > page.size, let last = versions.prefix(page.size).last {
      response.nextPageToken = PageToken.encode(
        PageToken.cursor(id: id.rawValue, key: String(last.version))
      )
    }
    return response
  }

  func getWorkflowVersion(
    request: Thaiyyal_V1_GetWorkflowVersionRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_WorkflowVersion {
    let id = try WorkflowID(requested: request.workflowID)
    let call = try context.requireTenantCall()
    return try await workflows.version(id, request.version, in: call).1.proto
  }

  func rollbackWorkflow(
    request: Thaiyyal_V1_RollbackWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let id = try WorkflowID(requested: request.workflowID)
    guard request.changeDescription.count <= WorkflowRules.maxChangeDescriptionLength else {
      throw RPCError(.invalidArgument, "change_description: too long")
    }
    let (saved, definition) = try await workflows.rollback(
      id,
      to: request.version,
      expectedVersion: request.expectedVersion,
      changeDescription: request.changeDescription,
      in: context.requireTenantCall()
    )
    return saved.proto(definition: definition)
  }

  func publishWorkflow(
    request: Thaiyyal_V1_PublishWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let id = try WorkflowID(requested: request.id)
    return try await workflows.setPublished(id, true, in: context.requireTenantCall()).proto()
  }

  func unpublishWorkflow(
    request: Thaiyyal_V1_UnpublishWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let id = try WorkflowID(requested: request.id)
    return try await workflows.setPublished(id, false, in: context.requireTenantCall()).proto()
  }

  func validateWorkflow(
    request: Thaiyyal_V1_ValidateWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ValidateWorkflowResponse {
    let limits = EngineLimits(plan: try context.requireTenantCall().limits)
    var response = Thaiyyal_V1_ValidateWorkflowResponse()
    guard request.definitionJson.utf8.count <= limits.maxPayloadBytes else {
      response.problems = [
        .with {
          $0.field = "definition_json"
          $0.description_p = "larger than \(limits.maxPayloadBytes) bytes"
        }
      ]
      return response
    }
    switch WorkflowRules.validate(request.definitionJson, limits: limits) {
    case .success(let workflow):
      response.valid = true
      response.nodeCount = Int32(workflow.nodes.count)
      response.edgeCount = Int32(workflow.edges.count)
      if request.strict {
        response.warnings = WorkflowLinter.warnings(workflow).map { warning in
          .with {
            $0.field = warning.field
            $0.description_p = warning.message
          }
        }
      }
    case .failure(let failure):
      response.problems = failure.problems.map { problem in
        .with {
          $0.field = problem.field
          $0.description_p = problem.message
        }
      }
    }
    return response
  }
}
