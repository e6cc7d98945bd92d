import ThaiyyalCore
import ThaiyyalEngine
import ThaiyyalProto
import ThaiyyalRPC

/// Checks shared by the workflow and execution services: ids, visibility, definitions.
enum WorkflowRules {
  static let maxNameLength = 200
  static let maxDescriptionLength = 4000
  static let maxTags = 32
  static let maxTagLength = 64
  static let maxCategoryLength = 100
  static let maxChangeDescriptionLength = 1000

  /// Who the caller is for visibility: the operator, admins and owners see everything.
  static func viewer(_ context: ServerContext) -> WorkflowViewer {
    switch context.principal {
    case .user(let id, _, let role)?: .user(id: id.rawValue, role: role)
    default: .everything
    }
  }

  /// A workflow id from a request; anything that is not one answers NOT_FOUND like a missing id.
  static func workflowID(_ text: String) throws(DomainError) -> WorkflowID {
    guard UUIDv7.isValid(text) else {
      throw DomainError.notFound(resource: "workflow", id: String(text.prefix(64)))
    }
    return WorkflowID(text)
  }

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
}
