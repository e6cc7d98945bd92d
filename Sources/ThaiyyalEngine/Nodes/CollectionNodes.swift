/// `sort`: a stable sort of an array, by the items or by a field of object items.
struct SortNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("sort node requires input") }
    guard case .array(let items) = input else { return .notAnArray(input) }
    let field = invocation.data["field"]?.stringValue ?? ""
    let given = (invocation.data["order"]?.stringValue ?? "").lowercased()
    let descending = given == "desc"
    func key(_ item: JSONValue) -> JSONValue {
      guard !field.isEmpty, case .object(let fields) = item else { return item }
      return fields[field] ?? .null
    }
    // Stable: ties keep their input order in both directions.
    let sorted = items.enumerated().sorted { a, b in
      let (x, y) = (key(a.element), key(b.element))
      if Self.less(x, y) { return !descending }
      if Self.less(y, x) { return descending }
      return a.offset < b.offset
    }.map(\.element)
    return [
      "sorted": .array(sorted), "count": .number(Double(items.count)), "field": .string(field),
      "order": .string(given.isEmpty ? "asc" : given),
    ]
  }

  /// Null first; numbers numerically; strings by bytes; false before true; otherwise by text.
  static func less(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return false
    case (.null, _): return true
    case (_, .null): return false
    case (.number(let x), .number(let y)): return x < y
    case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
    case (.bool(let x), .bool(let y)): return !x && y
    default: return a.text.utf8.lexicographicallyPrecedes(b.text.utf8)
    }
  }
}

/// `unique`: the first occurrence of each item (or of each `field` value; items without the
/// field are all kept).
struct UniqueNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("unique node requires input") }
    guard case .array(let items) = input else { return .notAnArray(input) }
    let field = invocation.data["field"]?.stringValue ?? ""
    var seen: Set<String> = []
    let kept = items.filter { item in
      if !field.isEmpty {
        guard case .object(let fields) = item, let value = fields[field] else { return true }
        return seen.insert(value.text).inserted
      }
      return seen.insert(item.text).inserted
    }
    return [
      "unique": kept.isEmpty ? .null : .array(kept), "input_count": .number(Double(items.count)),
      "output_count": .number(Double(kept.count)),
      "removed": .number(Double(items.count - kept.count)),
    ]
  }
}

/// `while_loop`: runs no body and never changes its value (as the original): a condition true at
/// the start can only run into the iteration limit. It reads only the legacy comparisons.
struct WhileLoopNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("while_loop node requires input") }
    let condition = invocation.data["condition"]?.stringValue ?? ""
    var limit = 100
    if case .number(let given)? = invocation.data["max_iterations"], given > 0 {
      limit = Int(min(given, 1e9))
    }
    guard LegacyComparator.holds(condition, for: input) else {
      return ["final_value": input, "iterations": 0, "condition": .string(condition)]
    }
    throw NodeFailure("while_loop exceeded max iterations: \(limit)")
  }
}

/// The original's oldest condition syntax: `>N`, `<N`, `>=N`, `<=N`, `==N`, `!=N`, `true`, `false`,
/// against a number or an object's `value`.
enum LegacyComparator {
  static func holds(_ condition: String, for input: JSONValue) -> Bool {
    let text = String(condition.trimmingWhitespace())
    if text == "true" { return true }
    if text == "false" { return false }
    var value = input
    if case .object(let fields) = input, let inner = fields["value"] { value = inner }
    guard case .number(let number) = value else { return false }
    for op in [">=", "<=", "==", "!=", ">", "<"] where text.hasPrefix(op) {
      guard let bound = Double(String(text.dropFirst(op.count)).trimmingWhitespace()) else {
        return false
      }
      switch op {
      case ">=": return number >= bound
      case "<=": return number <= bound
      case "==": return number == bound
      case "!=": return number != bound
      case ">": return number > bound
      default: return number < bound
      }
    }
    return false
  }
}

/// `format`: JSON (compact or pretty), CSV or TSV text of the input.
struct FormatNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("format node requires input") }
    let type = (invocation.data["output_type"]?.stringValue ?? "").uppercased()
    switch type {
    case "JSON":
      let pretty = invocation.data["pretty_print"] == .bool(true)
      return .string(JSONWriter(indent: pretty ? "  " : nil).string(input))
    case "CSV", "TSV":
      var delimiter = type == "TSV" ? "\t" : ","
      if type == "CSV", case .string(let given)? = invocation.data["delimiter"],
        let first = given.unicodeScalars.first
      {
        delimiter = String(first)
      }
      let headers = invocation.data["include_headers"] != .bool(false)
      return .string(
        try Self.table(input, delimiter: delimiter, headers: headers, invocation.reserve)
      )
    default:
      throw NodeFailure("unsupported output type: \(type)")
    }
  }

  static func table(
    _ input: JSONValue,
    delimiter: String,
    headers: Bool,
    _ reserve: (_ bytes: Int) throws(NodeFailure) -> Void = { _ in }
  ) throws(NodeFailure) -> String {
    let rows: [[String: JSONValue]]
    switch input {
    case .object(let fields): rows = [fields]
    case .array(let items):
      if items.isEmpty { return "" }
      var objects: [[String: JSONValue]] = []
      for item in items {
        guard case .object(let fields) = item else {
          throw NodeFailure("CSV/TSV output needs objects, got \(item.goTypeName)")
        }
        objects.append(fields)
      }
      rows = objects
    default:
      throw NodeFailure(
        "CSV/TSV output needs an object or an array of objects, got \(input.goTypeName)"
      )
    }
    let columns = Set(rows.flatMap(\.keys)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    // Every row gets every column: objects with different keys make a sparse table that can be
    // far larger than its input, so it is sized before it is written.
    try reserve((rows.count + 1) * columns.count)
    var out = ""
    if headers { out += columns.map { quote($0, delimiter) }.joined(separator: delimiter) + "\n" }
    for row in rows {
      out +=
        columns.map { quote(cell(row[$0] ?? .null), delimiter) }.joined(separator: delimiter) + "\n"
    }
    return out
  }

  static func cell(_ value: JSONValue) -> String {
    switch value {
    case .null: ""
    case .string(let text): text
    case .bool(let flag): flag ? "true" : "false"
    case .number(let number):
      number == number.rounded() && abs(number) < 1e15
        ? String(Int64(number)) : GoNumberFormat.text(number)
    case .array, .object: JSONWriter().string(value)
    }
  }

  /// RFC 4180: quote a field holding the delimiter, a quote or a line break; double inner quotes.
  static func quote(_ field: String, _ delimiter: String) -> String {
    guard
      field.contains(delimiter) || field.contains("\"") || field.contains("\n")
        || field.contains("\r")
    else {
      return field
    }
    return "\""
      + field.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"")
      + "\""
  }
}
