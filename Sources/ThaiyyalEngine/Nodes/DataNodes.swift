/// `extract`: one top-level field (`field`, dots are literal) or several (`fields`) of an object.
struct ExtractNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("extract node requires input") }
    guard case .object(let object) = input else {
      throw NodeFailure("extract node requires object input, got \(input.goTypeName)")
    }
    if case .string(let field)? = invocation.data["field"], !field.isEmpty {
      guard let value = object[field] else {
        throw NodeFailure("field '\(field)' not found in input object")
      }
      return .object(["field": .string(field), "value": value])
    }
    var picked: [String: JSONValue] = [:]
    for case .string(let field) in invocation.data["fields"]?.arrayValue ?? [] {
      if let value = object[field] { picked[field] = value }
    }
    return .object(picked)
  }
}

/// `transform`: to_array, to_object, flatten, keys, values (keys and values sorted by key, where
/// the original's order is random).
struct TransformNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("transform node requires input") }
    let kind = invocation.data["transform_type"]?.stringValue ?? ""
    switch kind {
    case "to_array":
      return .array(invocation.inputs)
    case "to_object":
      guard case .array(let items) = input else {
        throw NodeFailure("to_object requires array input, got \(input.goTypeName)")
      }
      var object: [String: JSONValue] = [:]
      var index = 0
      while index + 1 < items.count {
        guard case .string(let key) = items[index] else {
          throw NodeFailure("to_object requires string keys at index \(index)")
        }
        object[key] = items[index + 1]
        index += 2
      }
      return .object(object)
    case "flatten":
      guard case .array(let items) = input else {
        throw NodeFailure("flatten requires array input, got \(input.goTypeName)")
      }
      let flat = JSONValue.flatten(items)
      return flat.isEmpty ? .null : .array(flat)
    case "keys", "values":
      guard case .object(let object) = input else {
        throw NodeFailure("\(kind) requires object input, got \(input.goTypeName)")
      }
      let keys = object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      return .array(kind == "keys" ? keys.map(JSONValue.string) : keys.map { object[$0]! })
    default:
      throw NodeFailure("unsupported transform type: \(kind)")
    }
  }
}

/// `join`: combine inputs (`all`), or take the first (`any`, `first`). No waiting: it is an
/// ordinary node.
struct JoinNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      throw NodeFailure("join node requires at least one input")
    }
    let strategy = invocation.data["join_strategy"]?.stringValue ?? "all"
    switch strategy.isEmpty ? "all" : strategy {
    case "all":
      return [
        "strategy": "all", "values": .array(invocation.inputs),
        "count": .number(Double(invocation.inputs.count)),
      ]
    case "any":
      return ["strategy": "any", "value": input, "count": .number(Double(invocation.inputs.count))]
    case "first":
      return ["strategy": "first", "value": input]
    default:
      throw NodeFailure("unsupported join strategy: \(strategy)")
    }
  }
}

/// `split`: hands its input to every named path (it does not gate edges).
struct SplitNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("split node requires input") }
    let paths = invocation.data["paths"] ?? .array([])
    var outputs: [String: JSONValue] = [:]
    for case .string(let path) in paths.arrayValue ?? [] { outputs[path] = input }
    return ["value": input, "paths": paths, "outputs": .object(outputs)]
  }
}
