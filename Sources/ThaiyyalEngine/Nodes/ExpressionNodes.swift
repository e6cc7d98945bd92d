/// `condition`: tests its input and reports which path (`true`/`false`) downstream edges may take.
struct ConditionNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      throw NodeFailure("condition node needs at least 1 input")
    }
    let text = invocation.data["condition"]?.stringValue ?? ""
    let met =
      (try? invocation.state.expression(text)).map {
        ExpressionEvaluator.truth($0, invocation.state.scope(input))
      } ?? false
    return [
      "value": input, "condition_met": .bool(met), "condition": .string(text),
      "path": .string(met ? "true" : "false"),
      "true_path": .bool(met), "false_path": .bool(!met),
    ]
  }
}

/// `switch`: the first case whose `when` holds, else the default case; downstream edges gate on
/// `output_path`. A case whose `when` fails is skipped.
struct SwitchNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      throw NodeFailure("switch node requires at least one input")
    }
    let cases = invocation.data["cases"]?.arrayValue ?? []
    let scope = invocation.state.scope(input)
    for (index, entry) in cases.enumerated() {
      if entry["is_default"] == .bool(true) {
        let path = entry["output_path"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return [
          "value": input, "matched": false, "case": "default", "output_path": .string(path),
          "case_index": .number(Double(index)),
        ]
      }
      let when = entry["when"]?.stringValue ?? ""
      guard let expression = try? invocation.state.expression(when),
        ExpressionEvaluator.truth(expression, scope)
      else {
        continue
      }
      return [
        "value": input, "matched": true, "case": .string(when),
        "output_path": entry["output_path"] ?? .null,
        "case_index": .number(Double(index)),
      ]
    }
    return [
      "value": input, "matched": false, "case": "default", "output_path": "default",
      "case_index": -1,
    ]
  }
}

/// `expression`: the value of its expression over the input. A value that cannot be computed reads
/// as a condition instead (usually `false`), as in the original; text that does not parse fails.
struct ExpressionNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      throw NodeFailure("expression node needs at least 1 input")
    }
    let text = invocation.data["expression"]?.stringValue ?? ""
    guard !text.trimmingWhitespace().isEmpty else {
      return ["result": input, "warning": "no expression specified"]
    }
    let expression: Expression
    do {
      expression = try invocation.state.expression(text)
    } catch {
      throw NodeFailure("expression evaluation failed: \(error.message)")
    }
    let scope = invocation.state.scope(input)
    if let value = try? ExpressionEvaluator.value(expression, scope) { return value }
    return .bool(ExpressionEvaluator.truth(expression, scope))
  }
}

/// The array an array node works on: the input itself, or (for filter) an array under one of the
/// keys other nodes put theirs.
func arrayInput(_ input: JSONValue, unwrapping: Bool) -> [JSONValue]? {
  if case .array(let items) = input { return items }
  guard unwrapping, case .object(let fields) = input else { return nil }
  for key in ["range", "array", "items", "data", "values"] {
    if let value = fields[key] { return value.arrayValue }
  }
  return nil
}

/// `filter`: keeps the items for which the condition holds (`item` and `index` available).
struct FilterNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("filter node requires input") }
    let text = invocation.data["condition"]?.stringValue ?? ""
    guard !text.trimmingWhitespace().isEmpty else {
      throw NodeFailure("filter node missing condition expression")
    }
    guard let items = arrayInput(input, unwrapping: true) else {
      return [
        "input": input, "filtered": input, "is_array": false,
        "warning": "input is not an array, passed through unchanged",
        "original_type": .string(input.goTypeName),
      ]
    }
    let expression = try? invocation.state.expression(text)
    var kept: [JSONValue] = []
    var errors = 0
    for (index, item) in items.enumerated() {
      try invocation.checkpoint()
      let scope = invocation.state.scope(item, ["item": item, "index": .number(Double(index))])
      guard let expression, let value = try? ExpressionEvaluator.value(expression, scope) else {
        errors += 1
        continue
      }
      if value == .bool(true) { kept.append(item) }
    }
    return [
      "filtered": .array(kept), "input_count": .number(Double(items.count)),
      "output_count": .number(Double(kept.count)),
      "skipped_count": .number(Double(items.count - kept.count - errors)),
      "error_count": .number(Double(errors)),
      "condition": .string(text), "is_array": true,
    ]
  }
}

/// `map`: a field of every item, or an expression over every item (`item`, `index`, `items`).
struct MapNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("map node requires input") }
    guard case .array(let items) = input else {
      throw NodeFailure("map node requires array input, got \(input.goTypeName)")
    }
    let count = JSONValue.number(Double(items.count))
    let field = invocation.data["field"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    let text = invocation.data["expression"]?.stringValue.flatMap {
      $0.trimmingWhitespace().isEmpty ? nil : $0
    }
    guard field != nil || text != nil else {
      return [
        "results": input, "input_count": count, "output_count": count,
        "warning": "no transformation specified",
      ]
    }
    let expression = text.flatMap { try? invocation.state.expression($0) }
    var results: [JSONValue] = []
    var failed = 0
    for (index, item) in items.enumerated() {
      try invocation.checkpoint()
      var value: JSONValue?
      if let field {
        value = item[field]
      } else if let expression {
        let scope = invocation.state.scope(
          item,
          ["item": item, "index": .number(Double(index)), "items": input]
        )
        value = try? ExpressionEvaluator.value(expression, scope)
      }
      if value == nil { failed += 1 }
      results.append(value ?? .null)
    }
    return [
      "results": .array(results), "input_count": count,
      "output_count": .number(Double(results.count)),
      "successful": .number(Double(items.count - failed)), "failed": .number(Double(failed)),
    ]
  }
}

/// `reduce`: folds the items with an expression over `accumulator`, `item`, `index`, `items`;
/// items whose step fails are skipped.
struct ReduceNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("reduce node requires input") }
    guard case .array(let items) = input else {
      throw NodeFailure("reduce node requires array input, got \(input.goTypeName)")
    }
    let text = invocation.data["expression"]?.stringValue ?? ""
    guard !text.trimmingWhitespace().isEmpty else {
      throw NodeFailure("reduce node requires an expression")
    }
    let initial = invocation.data["initial_value"]
    var accumulator = initial.flatMap { $0 == .null ? nil : $0 } ?? 0
    let expression = try? invocation.state.expression(text)
    var failed = 0
    for (index, item) in items.enumerated() {
      try invocation.checkpoint()
      let scope = invocation.state.scope(
        item,
        ["accumulator": accumulator, "item": item, "index": .number(Double(index)), "items": input]
      )
      if let expression, let value = try? ExpressionEvaluator.value(expression, scope) {
        accumulator = value
      } else {
        failed += 1
      }
    }
    let count = JSONValue.number(Double(items.count))
    return [
      "result": accumulator, "final_value": accumulator, "initial_value": initial ?? .null,
      "input_count": count,
      "iterations": count, "successful": .number(Double(items.count - failed)),
      "failed": .number(Double(failed)),
    ]
  }
}

/// `find`: the first item for which the condition holds.
struct FindNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("find node requires input") }
    guard case .array(let items) = input else { return .notAnArray(input) }
    let text = invocation.data["condition"]?.stringValue ?? ""
    if let expression = try? invocation.state.expression(text) {
      for (index, item) in items.enumerated() {
        try invocation.checkpoint()
        let scope = invocation.state.scope(
          item,
          ["item": item, "index": .number(Double(index)), "items": input]
        )
        if ExpressionEvaluator.truth(expression, scope) {
          var found: [String: JSONValue] = ["found": item, "condition": .string(text)]
          if invocation.data["return_index"] == .bool(true) {
            found["index"] = .number(Double(index))
          }
          return .object(found)
        }
      }
    }
    return [
      "found": .null, "not_found": true, "condition": .string(text),
      "input_count": .number(Double(items.count)),
    ]
  }
}
