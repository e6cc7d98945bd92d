import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalStore

/// The workflows of a tenant with their version history, and the rules that guard them.
///
/// Definitions are validated by the engine under the tenant's limits before anything is stored.
/// A changed definition makes a new immutable version; other edits do not. Private workflows are
/// visible only to their creator, admins and owners; to anyone else they do not exist
/// (NOT_FOUND). Every change is audited in its transaction; etags and expected versions guard
/// against lost updates.
struct Workflows: Sendable {
  let store: any Persistence

  /// A workflow to create, its fields checked and its definition valid.
  struct NewWorkflow: Sendable {
    var name: String
    var description: String
    var tags: [String]
    var category: String
    var visibility: WorkflowRecord.Visibility
    var definition: String
  }

  /// The fields an update sets; `nil` leaves a field as it is.
  struct Edit: Sendable {
    var name: String?
    var description: String?
    var tags: [String]?
    var category: String?
    var visibility: WorkflowRecord.Visibility?
    var definition: String?
    var changeDescription = ""
    var etag = ""
    var expectedVersion: Int64 = 0
  }

  func create(_ new: NewWorkflow, in call: TenantCall) async throws -> WorkflowRecord {
    let workflow = WorkflowRecord(
      tenantID: call.tenant.id,
      id: .generate(),
      name: new.name,
      description: new.description,
      tags: new.tags,
      category: new.category,
      visibility: new.visibility,
      createdBy: call.actorID,
      updatedBy: call.actorID,
      createdAt: call.now,
      updatedAt: call.now
    )
    var changes = AuditChanges()
    changes.set("name", new: workflow.name)
    changes.set("visibility", new: workflow.visibility.rawValue)
    changes.set("version", new: 1)
    let entry = call.entry(.workflowCreated, resourceID: workflow.id.rawValue, changes: changes)
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      try scoped.workflows.create(
        workflow,
        definition: new.definition,
        changeDescription: "",
        limits: call.limits
      )
      try scoped.audit.append(entry)
    }
    return workflow
  }

  /// A visible workflow and one of its versions (the latest for `nil`).
  func version(
    _ id: WorkflowID,
    _ number: Int64?,
    in call: TenantCall
  ) async throws -> (WorkflowRecord, WorkflowVersion) {
    try await store.read { tx in
      let workflows = try tx.scoped(call.scope).workflows
      let workflow = try Self.visible(id, call.viewer, workflows)
      return (workflow, try Self.version(of: workflow, number, workflows))
    }
  }

  /// A page of visible workflows, each with its latest definition when asked.
  func list(
    _ filter: WorkflowFilter,
    after cursor: WorkflowCursor?,
    limit: Int,
    withDefinitions: Bool,
    in call: TenantCall
  ) async throws -> (
    workflows: [(WorkflowRecord, String?)], next: WorkflowCursor?
  ) {
    var filter = filter
    filter.viewer = call.viewer
    return try await store.read { [filter] tx in
      let repository = try tx.scoped(call.scope).workflows
      let (workflows, next) = try repository.list(filter, after: cursor, limit: limit)
      let listed = try workflows.map { workflow in
        (
          workflow,
          withDefinitions
            ? try repository.version(workflow.id, workflow.latestVersion)?.definition : nil
        )
      }
      return (listed, next)
    }
  }

  /// Applies an edit; a changed definition becomes a new version. Returns the workflow with its
  /// latest definition.
  func update(
    _ id: WorkflowID,
    _ edit: Edit,
    in call: TenantCall
  ) async throws -> (WorkflowRecord, String?) {
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      let current = try Self.visible(id, call.viewer, scoped.workflows)
      try Self.requireCurrent(current, etag: edit.etag, expectedVersion: edit.expectedVersion)
      var updated = current
      updated.name = edit.name ?? current.name
      updated.description = edit.description ?? current.description
      updated.tags = edit.tags ?? current.tags
      updated.category = edit.category ?? current.category
      updated.visibility = edit.visibility ?? current.visibility
      var changes = AuditChanges()
      changes.compare("name", current.name, updated.name)
      changes.compare("description", current.description, updated.description)
      changes.compare(
        "tags",
        current.tags.joined(separator: ","),
        updated.tags.joined(separator: ",")
      )
      changes.compare("category", current.category, updated.category)
      changes.compare("visibility", current.visibility.rawValue, updated.visibility.rawValue)
      let latest = try scoped.workflows.version(id, current.latestVersion)?.definition
      if let definition = edit.definition, definition != latest {
        updated.latestVersion += 1
        try Self.addVersion(definition, edit.changeDescription, to: updated, scoped, call)
        changes.set("version", old: current.latestVersion, new: updated.latestVersion)
      }
      let definition = edit.definition ?? latest
      guard !changes.isEmpty else { return (current, definition) }
      let saved = try Self.save(updated, current, .workflowUpdated, changes, scoped, call)
      return (saved, definition)
    }
  }

  /// Makes an old version's definition the newest version.
  func rollback(
    _ id: WorkflowID,
    to target: Int64,
    expectedVersion: Int64,
    changeDescription: String,
    in call: TenantCall
  ) async throws -> (WorkflowRecord, String?) {
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      let current = try Self.visible(id, call.viewer, scoped.workflows)
      try Self.requireCurrent(current, etag: "", expectedVersion: expectedVersion)
      let old = try Self.version(of: current, target, scoped.workflows)
      var updated = current
      updated.latestVersion += 1
      let description =
        changeDescription.isEmpty ? "rollback to version \(target)" : changeDescription
      try Self.addVersion(old.definition ?? "", description, to: updated, scoped, call)
      var changes = AuditChanges()
      changes.set("version", old: current.latestVersion, new: updated.latestVersion)
      changes.set("rolled_back_to", new: target)
      let saved = try Self.save(updated, current, .workflowRolledBack, changes, scoped, call)
      return (saved, old.definition)
    }
  }

  func setPublished(
    _ id: WorkflowID,
    _ published: Bool,
    in call: TenantCall
  ) async throws -> WorkflowRecord {
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      let current = try Self.visible(id, call.viewer, scoped.workflows)
      guard current.published != published else { return current }
      var updated = current
      updated.published = published
      var changes = AuditChanges()
      changes.compare("published", current.published, published)
      let action: AuditAction = published ? .workflowPublished : .workflowUnpublished
      return try Self.save(updated, current, action, changes, scoped, call)
    }
  }

  /// Deletes a workflow with its versions and executions.
  func delete(_ id: WorkflowID, etag: String, in call: TenantCall) async throws {
    try await store.write { tx in
      let scoped = try tx.scoped(call.scope)
      let current = try Self.visible(id, call.viewer, scoped.workflows)
      try Self.requireCurrent(current, etag: etag, expectedVersion: 0)
      let executions = try scoped.workflows.delete(id: id)
      var changes = AuditChanges()
      changes.set("name", old: current.name, new: nil)
      changes.set("versions", new: current.latestVersion)
      changes.set("executions_deleted", new: executions)
      try scoped.audit.append(
        call.entry(.workflowDeleted, resourceID: id.rawValue, changes: changes)
      )
    }
  }

  /// Versions of a visible workflow, newest first, before version `before`.
  func versions(
    _ id: WorkflowID,
    before: Int64?,
    limit: Int,
    withDefinitions: Bool,
    in call: TenantCall
  ) async throws -> [WorkflowVersion] {
    try await store.read { tx in
      let workflows = try tx.scoped(call.scope).workflows
      _ = try Self.visible(id, call.viewer, workflows)
      return try workflows.versions(
        id,
        before: before,
        limit: limit,
        withDefinitions: withDefinitions
      )
    }
  }

  // MARK: Rules

  /// A workflow the viewer may see; NOT_FOUND otherwise, exactly as for a missing one.
  static func visible(
    _ id: WorkflowID,
    _ viewer: WorkflowViewer,
    _ workflows: any WorkflowRepository
  ) throws -> WorkflowRecord {
    guard let workflow = try workflows.find(id: id), workflow.isVisible(to: viewer) else {
      throw DomainError.notFound(resource: "workflow", id: id.rawValue)
    }
    return workflow
  }

  /// Version `number` of a workflow (its latest for `nil`), or NOT_FOUND.
  static func version(
    of workflow: WorkflowRecord,
    _ number: Int64?,
    _ workflows: any WorkflowRepository
  ) throws -> WorkflowVersion {
    let number = number ?? workflow.latestVersion
    guard let version = try workflows.version(workflow.id, number) else {
      throw DomainError.notFound(
        resource: "workflow version",
        id: "\(workflow.id.rawValue)@\(number)"
      )
    }
    return version
  }

  /// ABORTED (`CONFLICT`) unless the caller's etag and expected version, when given, still hold.
  static func requireCurrent(
    _ workflow: WorkflowRecord,
    etag: String,
    expectedVersion: Int64
  ) throws(DomainError) {
    if !etag.isEmpty && etag != workflow.etag { throw .conflict(resource: "workflow") }
    if expectedVersion != 0 && expectedVersion != workflow.latestVersion {
      throw .conflict(resource: "workflow")
    }
  }

  // MARK: Saving

  private static func addVersion(
    _ definition: String,
    _ changeDescription: String,
    to workflow: WorkflowRecord,
    _ scoped: any ScopedRepositories,
    _ call: TenantCall
  ) throws {
    try scoped.workflows.addVersion(
      WorkflowVersion(
        workflowID: workflow.id,
        version: workflow.latestVersion,
        definition: definition,
        changeDescription: changeDescription,
        createdBy: call.actorID,
        createdAt: call.now
      ),
      limits: call.limits
    )
  }

  /// Stores `workflow` as edited by the caller, if unchanged since `current` was read, with its
  /// audit entry.
  private static func save(
    _ workflow: WorkflowRecord,
    _ current: WorkflowRecord,
    _ action: AuditAction,
    _ changes: AuditChanges,
    _ scoped: any ScopedRepositories,
    _ call: TenantCall
  ) throws -> WorkflowRecord {
    var workflow = workflow
    workflow.updatedBy = call.actorID
    workflow.updatedAt = call.now
    let saved = try scoped.workflows.save(workflow, expectedRevision: current.revision)
    try scoped.audit.append(call.entry(action, resourceID: workflow.id.rawValue, changes: changes))
    return saved
  }
}
