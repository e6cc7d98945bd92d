import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// Checks of workflow messages, shared by the workflow and execution services: ids, fields,
/// filters and definitions.
enum WorkflowRules {
  static let maxNameLength = 200
  static let maxDescriptionLength = 4000
  static let maxTags = 32
  static let maxTagLength = 64
  static let maxCategoryLength = 100
  static let maxChangeDescriptionLength = 1000

  static func checkName(_ name: String, field: String, _ violations: inout Violations) {
    violations.check(
      !name.isEmpty && name.count <= maxNameLength,
      field,
      "must be 1 to \(maxNameLength) characters"
    )
  }

  static func checkDescriptive(
    description: String?,
    tags: [String]?,
    category: String?,
    prefix: String,
    _ violations: inout Violations
  ) {
    if let description {
      violations.check(
        description.count <= maxDescriptionLength,
        prefix + "description",
        "must be at most \(maxDescriptionLength) characters"
      )
    }
    if let tags {
      violations.check(tags.count <= maxTags, prefix + "tags", "at most \(maxTags) tags")
      for (index, tag) in tags.enumerated() {
        violations.check(
          !tag.isEmpty && tag.count <= maxTagLength,
          prefix + "tags[\(index)]",
          "a tag is 1 to \(maxTagLength) characters"
        )
      }
      violations.check(Set(tags).count == tags.count, prefix + "tags", "tags must be unique")
    }
    if let category {
      violations.check(
        category.count <= maxCategoryLength,
        prefix + "category",
        "must be at most \(maxCategoryLength) characters"
      )
    }
  }

  /// The engine's verdict on a definition under the plan's limits: the decoded workflow, or every
  /// problem.
  static func validate(
    _ definition: String,
    limits: EngineLimits
  ) -> Result<
    Workflow, ValidationFailure
  > {
    Result { () throws(ValidationFailure) -> Workflow in
      try WorkflowDecoder(limits: limits).decode(definition)
    }
  }

  /// INVALID_ARGUMENT with a `BadRequest` naming each problem of an invalid definition.
  static func requireValid(
    _ definition: String,
    limits: EngineLimits,
    field: String = "definition_json"
  ) throws(RPCError) {
    guard definition.utf8.count <= limits.maxPayloadBytes else {
      throw RPCError(
        .invalidArgument,
        "\(field): \(definition.utf8.count) bytes exceed the limit of \(limits.maxPayloadBytes)",
        details: [.badRequest([(field, "larger than \(limits.maxPayloadBytes) bytes")])]
      )
    }
    if case .failure(let failure) = validate(definition, limits: limits) {
      let problems = failure.problems.map {
        (field: "\(field).\($0.field)", description: $0.message)
      }
      throw RPCError(
        .invalidArgument,
        "\(field) is not a valid workflow: "
          + failure.problems.prefix(3).map(\.description).joined(separator: "; ")
          + (failure.problems.count > 3 ? "; and \(failure.problems.count - 3) more" : ""),
        details: [.badRequest(problems)]
      )
    }
  }

  /// The filter a list request asks for, every field checked.
  static func filter(
    _ request: Thaiyyal_V1_ListWorkflowsRequest
  ) throws(RPCError) -> WorkflowFilter {
    var filter = WorkflowFilter()
    var violations = Violations()
    violations.check(request.tag.count <= maxTagLength, "tag", "too long")
    violations.check(request.category.count <= maxCategoryLength, "category", "too long")
    violations.check(request.namePrefix.count <= maxNameLength, "name_prefix", "too long")
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
    return filter
  }

  /// The edit an update request asks for, every field checked and a new definition valid under
  /// `limits`.
  static func edit(
    _ request: Thaiyyal_V1_UpdateWorkflowRequest,
    limits: EngineLimits
  ) throws(RPCError) -> Workflows.Edit {
    let paths = Set(request.updateMask.paths)
    let fields: Set = ["name", "description", "tags", "category", "visibility", "definition_json"]
    var violations = Violations()
    violations.check(!paths.isEmpty, "update_mask", "names no field")
    for path in paths.subtracting(fields).sorted() {
      violations.check(false, "update_mask", "\(path) cannot be updated")
    }
    let given = request.workflow
    var edit = Workflows.Edit()
    if paths.contains("name") {
      checkName(given.name, field: "workflow.name", &violations)
      edit.name = given.name
    }
    edit.description = paths.contains("description") ? given.description_p : nil
    edit.tags = paths.contains("tags") ? given.tags : nil
    edit.category = paths.contains("category") ? given.category : nil
    checkDescriptive(
      description: edit.description,
      tags: edit.tags,
      category: edit.category,
      prefix: "workflow.",
      &violations
    )
    if paths.contains("visibility") {
      edit.visibility = WorkflowRecord.Visibility(given.visibility)
      violations.check(edit.visibility != nil, "workflow.visibility", "unknown value")
    }
    violations.check(
      request.changeDescription.count <= maxChangeDescriptionLength,
      "change_description",
      "too long"
    )
    violations.check(request.expectedVersion >= 0, "expected_version", "must not be negative")
    try violations.throwIfAny()
    if paths.contains("definition_json") {
      try requireValid(given.definitionJson, limits: limits, field: "workflow.definition_json")
      edit.definition = given.definitionJson
    }
    edit.changeDescription = request.changeDescription
    edit.etag = request.etag
    edit.expectedVersion = request.expectedVersion
    return edit
  }
}
