import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.WorkflowService`: the workflows of the caller's tenant with their version history.
///
/// Every definition is validated by the engine, under the tenant's plan limits, before it is
/// stored. A changed definition makes a new immutable version; other edits do not. Private
/// workflows are visible only to their creator, admins and owners; to anyone else they do not
/// exist (NOT_FOUND). Every change is audited in its transaction.
struct WorkflowService: Thaiyyal_V1_WorkflowService.ServiceProtocol {
  let store: SQLiteStore
  let plans: PlanCatalog
  let clock: WallClock

  func createWorkflow(
    request: Thaiyyal_V1_CreateWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let (tenant, scope) = try context.requireTenant()
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
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
    try WorkflowRules.requireValid(request.definitionJson, limits: EngineLimits(plan: limits))

    let now = clock.nowMilliseconds()
    let actor = try context.requirePrincipal().actorID
    let workflow = WorkflowRecord(
      tenantID: tenant.id,
      id: .generate(),
      name: request.name,
      description: request.description_p,
      tags: request.tags,
      category: request.category,
      visibility: visibility!,
      createdBy: actor,
      updatedBy: actor,
      createdAt: now,
      updatedAt: now
    )
    let definition = request.definitionJson
    let audit = context.auditContext
    try await store.write { tx in
      let scoped = tx.scoped(scope)
      try scoped.workflows.create(
        workflow,
        definition: definition,
        changeDescription: "",
        limits: limits
      )
      var changes = AuditChanges()
      changes.set("name", new: workflow.name)
      changes.set("visibility", new: workflow.visibility.rawValue)
      changes.set("version", new: 1)
      try scoped.audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "workflow.created",
          resourceType: "workflow",
          resourceID: workflow.id.rawValue,
          changesJSON: changes.json
        )
      )
    }
    return workflow.proto(definition: definition)
  }

  func getWorkflow(
    request: Thaiyyal_V1_GetWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let (_, scope) = try context.requireTenant()
    let id = try WorkflowRules.workflowID(request.id)
    guard request.version >= 0 else {
      throw RPCError(.invalidArgument, "version must not be negative")
    }
    let viewer = WorkflowRules.viewer(context)
    let wanted = request.version
    let (workflow, version) = try await store.read { tx in
      let workflows = tx.scoped(scope).workflows
      guard let workflow = try workflows.find(id: id), workflow.isVisible(to: viewer) else {
        throw DomainError.notFound(resource: "workflow", id: id.rawValue)
      }
      let number = wanted == 0 ? workflow.latestVersion : wanted
      guard let version = try workflows.version(id, number) else {
        throw DomainError.notFound(resource: "workflow version", id: "\(id.rawValue)@\(number)")
      }
      return (workflow, version)
    }
    return workflow.proto(version: version.version, definition: version.definition)
  }

  func listWorkflows(
    request: Thaiyyal_V1_ListWorkflowsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListWorkflowsResponse {
    let (_, scope) = try context.requireTenant()
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    var filter = WorkflowRepository.Filter()
    var violations = Violations()
    violations.check(request.tag.count <= WorkflowRules.maxTagLength, "tag", "too long")
    violations.check(
      request.category.count <= WorkflowRules.maxCategoryLength,
      "category",
      "too long"
    )
    violations.check(
      request.namePrefix.count <= WorkflowRules.maxNameLength,
      "name_prefix",
      "too long"
    )
    violations.check(request.createdBy.utf8.count <= 64, "created_by", "too long")
    if request.visibility != .unspecified {
      filter.visibility = WorkflowRecord.Visibility(request.visibility)
      violations.check(filter.visibility != nil, "visibility", "unknown value")
    }
    switch request.orderBy {
    case .unspecified, .updateTimeDesc: filter.order = .updatedDescending
    case .nameAsc: filter.order = .nameAscending
    default: violations.check(false, "order_by", "unknown value")
    }
    try violations.throwIfAny()
    filter.tag = request.tag.isEmpty ? nil : request.tag
    filter.category = request.category.isEmpty ? nil : request.category
    filter.createdBy = request.createdBy.isEmpty ? nil : request.createdBy
    filter.published = request.hasPublished ? request.published : nil
    filter.namePrefix = request.namePrefix
    filter.viewer = WorkflowRules.viewer(context)
    let cursor = page.after.flatMap(PageToken.split).map {
      WorkflowRepository.Cursor(key: $0.key ?? "", id: WorkflowID($0.id))
    }
    let query = filter
    let withDefinitions = request.includeDefinition
    let (workflows, next, definitions) = try await store.read { tx in
      let repository = tx.scoped(scope).workflows
      let (workflows, next) = try repository.list(query, after: cursor, limit: page.size)
      var definitions: [String?] = []
      if withDefinitions {
        for workflow in workflows {
          definitions.append(
            try repository.version(workflow.id, workflow.latestVersion)?.definition
          )
        }
      }
      return (workflows, next, definitions)
    }
    var response = Thaiyyal_V1_ListWorkflowsResponse()
    response.workflows = workflows.enumerated().map { index, workflow in
      workflow.proto(definition: withDefinitions ? definitions[index] : nil)
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
    let (tenant, scope) = try context.requireTenant()
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    let id = try WorkflowRules.workflowID(request.workflow.id)
    let paths = Set(request.updateMask.paths)
    let fields: Set = ["name", "description", "tags", "category", "visibility", "definition_json"]
    var violations = Violations()
    violations.check(!paths.isEmpty, "update_mask", "names no field")
    for path in paths.subtracting(fields).sorted() {
      violations.check(false, "update_mask", "\(path) cannot be updated")
    }
    let given = request.workflow
    if paths.contains("name") {
      WorkflowRules.checkName(given.name, field: "workflow.name", &violations)
    }
    WorkflowRules.checkDescriptive(
      description: paths.contains("description") ? given.description_p : nil,
      tags: paths.contains("tags") ? given.tags : nil,
      category: paths.contains("category") ? given.category : nil,
      prefix: "workflow.",
      &violations
    )
    let visibility =
      paths.contains("visibility") ? WorkflowRecord.Visibility(given.visibility) : nil
    if paths.contains("visibility") {
      violations.check(visibility != nil, "workflow.visibility", "unknown value")
    }
    violations.check(
      request.changeDescription.count <= WorkflowRules.maxChangeDescriptionLength,
      "change_description",
      "too long"
    )
    violations.check(request.expectedVersion >= 0, "expected_version", "must not be negative")
    try violations.throwIfAny()
    let newDefinition = paths.contains("definition_json") ? given.definitionJson : nil
    if let newDefinition {
      try WorkflowRules.requireValid(
        newDefinition,
        limits: EngineLimits(plan: limits),
        field: "workflow.definition_json"
      )
    }

    let viewer = WorkflowRules.viewer(context)
    let actor = try context.requirePrincipal().actorID
    let now = clock.nowMilliseconds()
    let audit = context.auditContext
    let (etag, expectedVersion, changeDescription) = (
      request.etag, request.expectedVersion, request.changeDescription
    )
    let (saved, definition) = try await store.write { tx -> (WorkflowRecord, String?) in
      let scoped = tx.scoped(scope)
      let current = try Self.visibleWorkflow(id, viewer, scoped.workflows)
      try Self.requireCurrent(current, etag: etag, expectedVersion: expectedVersion)
      var updated = current
      var changes = AuditChanges()
      if paths.contains("name") { updated.name = given.name }
      if paths.contains("description") { updated.description = given.description_p }
      if paths.contains("tags") { updated.tags = given.tags }
      if paths.contains("category") { updated.category = given.category }
      if let visibility { updated.visibility = visibility }
      changes.compare("name", current.name, updated.name)
      changes.compare("description", current.description, updated.description)
      changes.compare(
        "tags",
        current.tags.joined(separator: ","),
        updated.tags.joined(separator: ",")
      )
      changes.compare("category", current.category, updated.category)
      changes.compare("visibility", current.visibility.rawValue, updated.visibility.rawValue)
      var definition: String?
      if let newDefinition {
        let latest = try scoped.workflows.version(id, current.latestVersion)?.definition
        if latest != newDefinition {
          updated.latestVersion += 1
          try scoped.workflows.addVersion(
            WorkflowVersion(
              workflowID: id,
              version: updated.latestVersion,
              definition: newDefinition,
              changeDescription: changeDescription,
              createdBy: actor,
              createdAt: now
            ),
            limits: limits
          )
          changes.set("version", old: current.latestVersion, new: updated.latestVersion)
        }
        definition = newDefinition
      }
      guard !changes.isEmpty else {
        return (
          current, try definition ?? scoped.workflows.version(id, current.latestVersion)?.definition
        )
      }
      updated.updatedBy = actor
      updated.updatedAt = now
      let saved = try scoped.workflows.save(updated, expectedRevision: current.revision)
      try scoped.audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "workflow.updated",
          resourceType: "workflow",
          resourceID: id.rawValue,
          changesJSON: changes.json
        )
      )
      return (
        saved, try definition ?? scoped.workflows.version(id, saved.latestVersion)?.definition
      )
    }
    return saved.proto(definition: definition)
  }

  func deleteWorkflow(
    request: Thaiyyal_V1_DeleteWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_DeleteWorkflowResponse {
    let (tenant, scope) = try context.requireTenant()
    let id = try WorkflowRules.workflowID(request.id)
    let viewer = WorkflowRules.viewer(context)
    let audit = context.auditContext
    let etag = request.etag
    try await store.write { tx in
      let scoped = tx.scoped(scope)
      let current = try Self.visibleWorkflow(id, viewer, scoped.workflows)
      try Self.requireCurrent(current, etag: etag, expectedVersion: 0)
      let executions = try scoped.workflows.delete(id: id)
      var changes = AuditChanges()
      changes.set("name", old: current.name, new: nil)
      changes.set("versions", new: current.latestVersion)
      changes.set("executions_deleted", new: executions)
      try scoped.audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "workflow.deleted",
          resourceType: "workflow",
          resourceID: id.rawValue,
          changesJSON: changes.json
        )
      )
    }
    return Thaiyyal_V1_DeleteWorkflowResponse()
  }

  func listWorkflowVersions(
    request: Thaiyyal_V1_ListWorkflowVersionsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListWorkflowVersionsResponse {
    let (_, scope) = try context.requireTenant()
    let id = try WorkflowRules.workflowID(request.workflowID)
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    // The cursor is this workflow's id and the last version listed.
    var before: Int64?
    if let after = page.after {
      guard let (cursorID, key) = PageToken.split(after), cursorID == id.rawValue,
        let number = key.flatMap({ Int64($0) })
      else { throw RPCError(.invalidArgument, "page_token belongs to another list") }
      before = number
    }
    let viewer = WorkflowRules.viewer(context)
    let withDefinitions = request.includeDefinition
    let cursor = before
    let versions = try await store.read { tx in
      let workflows = tx.scoped(scope).workflows
      _ = try Self.visibleWorkflow(id, viewer, workflows)
      return try workflows.versions(
        id,
        before: cursor,
        limit: page.size + 1,
        withDefinitions: withDefinitions
      )
    }
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
    let (_, scope) = try context.requireTenant()
    let id = try WorkflowRules.workflowID(request.workflowID)
    let viewer = WorkflowRules.viewer(context)
    let number = request.version
    return try await store.read { tx in
      let workflows = tx.scoped(scope).workflows
      _ = try Self.visibleWorkflow(id, viewer, workflows)
      guard let version = try workflows.version(id, number) else {
        throw DomainError.notFound(resource: "workflow version", id: "\(id.rawValue)@\(number)")
      }
      return version
    }.proto
  }

  func rollbackWorkflow(
    request: Thaiyyal_V1_RollbackWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let (tenant, scope) = try context.requireTenant()
    let limits = plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    let id = try WorkflowRules.workflowID(request.workflowID)
    guard request.changeDescription.count <= WorkflowRules.maxChangeDescriptionLength else {
      throw RPCError(.invalidArgument, "change_description: too long")
    }
    let viewer = WorkflowRules.viewer(context)
    let actor = try context.requirePrincipal().actorID
    let now = clock.nowMilliseconds()
    let audit = context.auditContext
    let (target, expectedVersion) = (request.version, request.expectedVersion)
    let description =
      request.changeDescription.isEmpty
      ? "rollback to version \(target)" : request.changeDescription
    let (saved, definition) = try await store.write { tx -> (WorkflowRecord, String) in
      let scoped = tx.scoped(scope)
      let current = try Self.visibleWorkflow(id, viewer, scoped.workflows)
      try Self.requireCurrent(current, etag: "", expectedVersion: expectedVersion)
      guard let old = try scoped.workflows.version(id, target), let definition = old.definition
      else {
        throw DomainError.notFound(resource: "workflow version", id: "\(id.rawValue)@\(target)")
      }
      var updated = current
      updated.latestVersion += 1
      updated.updatedBy = actor
      updated.updatedAt = now
      try scoped.workflows.addVersion(
        WorkflowVersion(
          workflowID: id,
          version: updated.latestVersion,
          definition: definition,
          changeDescription: description,
          createdBy: actor,
          createdAt: now
        ),
        limits: limits
      )
      let saved = try scoped.workflows.save(updated, expectedRevision: current.revision)
      var changes = AuditChanges()
      changes.set("version", old: current.latestVersion, new: updated.latestVersion)
      changes.set("rolled_back_to", new: target)
      try scoped.audit.append(
        audit.entry(
          tenant: tenant.id,
          action: "workflow.rolled_back",
          resourceType: "workflow",
          resourceID: id.rawValue,
          changesJSON: changes.json
        )
      )
      return (saved, definition)
    }
    return saved.proto(definition: definition)
  }

  func publishWorkflow(
    request: Thaiyyal_V1_PublishWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    try await setPublished(request.id, true, context)
  }

  func unpublishWorkflow(
    request: Thaiyyal_V1_UnpublishWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    try await setPublished(request.id, false, context)
  }

  func validateWorkflow(
    request: Thaiyyal_V1_ValidateWorkflowRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ValidateWorkflowResponse {
    let (tenant, _) = try context.requireTenant()
    let limits = EngineLimits(
      plan: plans.effectiveLimits(plan: tenant.plan, overrides: tenant.limitOverrides)
    )
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

  // MARK: Helpers

  private func setPublished(
    _ rawID: String,
    _ published: Bool,
    _ context: ServerContext
  ) async throws -> Thaiyyal_V1_Workflow {
    let (tenant, scope) = try context.requireTenant()
    let id = try WorkflowRules.workflowID(rawID)
    let viewer = WorkflowRules.viewer(context)
    let actor = try context.requirePrincipal().actorID
    let now = clock.nowMilliseconds()
    let audit = context.auditContext
    return try await store.write { tx in
      let scoped = tx.scoped(scope)
      let current = try Self.visibleWorkflow(id, viewer, scoped.workflows)
      guard current.published != published else { return current }
      var updated = current
      updated.published = published
      updated.updatedBy = actor
      updated.updatedAt = now
      let saved = try scoped.workflows.save(updated, expectedRevision: current.revision)
      var changes = AuditChanges()
      changes.compare("published", current.published, published)
      try scoped.audit.append(
        audit.entry(
          tenant: tenant.id,
          action: published ? "workflow.published" : "workflow.unpublished",
          resourceType: "workflow",
          resourceID: id.rawValue,
          changesJSON: changes.json
        )
      )
      return saved
    }.proto()
  }

  /// A workflow the viewer may see; NOT_FOUND otherwise, exactly as for a missing one.
  static func visibleWorkflow(
    _ id: WorkflowID,
    _ viewer: WorkflowViewer,
    _ workflows: WorkflowRepository
  ) throws -> WorkflowRecord {
    guard let workflow = try workflows.find(id: id), workflow.isVisible(to: viewer) else {
      throw DomainError.notFound(resource: "workflow", id: id.rawValue)
    }
    return workflow
  }

  /// ABORTED (`CONFLICT`) unless the caller's etag and expected version, when given, still hold.
  static func requireCurrent(
    _ workflow: WorkflowRecord,
    etag: String,
    expectedVersion: Int64
  ) throws {
    if !etag.isEmpty && etag != workflow.etag { throw DomainError.conflict(resource: "workflow") }
    if expectedVersion != 0 && expectedVersion != workflow.latestVersion {
      throw DomainError.conflict(resource: "workflow")
    }
  }
}
