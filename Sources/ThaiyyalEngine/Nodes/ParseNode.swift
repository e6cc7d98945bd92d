/// `parse`: text (or any value rendered as text) parsed as JSON, CSV, TSV, flat YAML or a single XML
/// element; `AUTO` guesses the format as the original does.
struct ParseNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("parse node requires input") }
    let text: String =
      switch input {
      case .null: ""
      case .string(let string): string
      case .array, .object: JSONWriter().string(input)
      default: input.text
      }
    let parser = JSONParser(
      maxValues: invocation.state.budget.maxValueBytes / JSONValue.bytesPerParsedValue
    )
    var type = (invocation.data["input_type"]?.stringValue ?? "AUTO").uppercased()
    if type.isEmpty || type == "AUTO" { type = Self.guess(text, parser) }
    switch type {
    case "JSON":
      do {
        return try parser.parse(text)
      } catch {
        throw NodeFailure("invalid JSON: \(error)")
      }
    case "CSV": return try Self.table(text, delimiter: ",")
    case "TSV": return try Self.table(text, delimiter: "\t")
    case "YAML": return try Self.yaml(text)
    case "XML": return try Self.xml(text)
    default: throw NodeFailure("unsupported input type: \(type)")
    }
  }

  static func guess(_ text: String, _ parser: JSONParser = JSONParser()) -> String {
    let trimmed = String(text.trimmingWhitespace())
    if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
      if let value = try? parser.parse(trimmed),
        value.objectValue != nil || value.arrayValue != nil
      {
        return "JSON"
      }
    }
    if trimmed.hasPrefix("<") && trimmed.hasSuffix(">") { return "XML" }
    let lines = trimmed.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.count > 1 {
      if lines.filter({ $0.contains(": ") }).count >= 2 { return "YAML" }
      let first = lines[0]
      let commas = first.filter { $0 == "," }.count
      let tabs = first.filter { $0 == "\t" }.count
      if tabs > 0 || commas > 0 { return tabs > commas ? "TSV" : "CSV" }
    }
    return "JSON"
  }

  /// A cell typed as the original types it: `""` stays, true/false/null, numbers, else text.
  static func typed(_ raw: String) -> JSONValue {
    let value = String(raw.trimmingWhitespace())
    switch value {
    case "": return ""
    case "true": return true
    case "false": return false
    case "null": return .null
    default:
      if let number = Double(value), number.isFinite { return .number(number) }
      return .string(value)
    }
  }

  /// RFC 4180 records; the first is the header.
  static func table(_ text: String, delimiter: Character) throws(NodeFailure) -> JSONValue {
    let records = try records(text, delimiter: delimiter)
    guard let header = records.first else { return .array([]) }
    var rows: [JSONValue] = []
    for (number, record) in records.dropFirst().enumerated() {
      guard record.count == header.count else {
        throw NodeFailure("invalid CSV/TSV: record on line \(number + 2): wrong number of fields")
      }
      var row: [String: JSONValue] = [:]
      for (key, cell) in zip(header, record) { row[String(key.trimmingWhitespace())] = typed(cell) }
      rows.append(.object(row))
    }
    return .array(rows)
  }

  static func records(_ text: String, delimiter: Character) throws(NodeFailure) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var atFieldStart = true
    var characters = Array(text)
    if characters.last == "\n" { characters.removeLast() }
    guard !characters.isEmpty else { return [] }
    var index = 0
    while index < characters.count {
      let character = characters[index]
      if quoted {
        if character == "\"" {
          if index + 1 < characters.count && characters[index + 1] == "\"" {
            field.append("\"")
            index += 1
          } else {
            quoted = false
          }
        } else {
          field.append(character)
        }
      } else if character == "\"" && atFieldStart {
        quoted = true
        atFieldStart = false
      } else if character == delimiter {
        record.append(field)
        field = ""
        atFieldStart = true
      } else if character == "\n" || character == "\r\n" {
        record.append(field)
        records.append(record)
        record = []
        field = ""
        atFieldStart = true
      } else if atFieldStart && character == " " {
        // Leading spaces of fields are dropped.
      } else {
        field.append(character)
        atFieldStart = false
      }
      index += 1
    }
    guard !quoted else { throw NodeFailure("invalid CSV/TSV: unterminated quoted field") }
    record.append(field)
    records.append(record)
    return records
  }

  /// Flat `key: value` lines; comments and blank lines skipped.
  static func yaml(_ text: String) throws(NodeFailure) -> JSONValue {
    var object: [String: JSONValue] = [:]
    for line in text.split(separator: "\n") {
      let trimmed = String(line).trimmingWhitespace()
      guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let colon = trimmed.firstIndex(of: ":")
      else { continue }
      let key = String(String(trimmed[..<colon]).trimmingWhitespace())
      guard !key.isEmpty else { continue }
      object[key] = typed(String(trimmed[trimmed.index(after: colon)...]))
    }
    guard !object.isEmpty else { throw NodeFailure("invalid YAML: no key: value pairs found") }
    return .object(object)
  }

  /// `<tag>text</tag>` as `{tag: typedText}`.
  static func xml(_ text: String) throws(NodeFailure) -> JSONValue {
    let trimmed = String(text.trimmingWhitespace())
    guard trimmed.hasPrefix("<"), let close = trimmed.firstIndex(of: ">") else {
      throw NodeFailure("invalid XML: no element found")
    }
    let tag =
      String(trimmed[trimmed.index(after: trimmed.startIndex) ..< close]).split(separator: " ")
      .first.map(String.init) ?? ""
    let end = "</\(tag)>"
    guard !tag.isEmpty, trimmed.hasSuffix(end) else {
      throw NodeFailure("invalid XML: element <\(tag)> is not closed")
    }
    let inner = trimmed[
      trimmed.index(after: close) ..< trimmed.index(trimmed.endIndex, offsetBy: -end.count)
    ]
    return .object([tag: typed(String(inner))])
  }
}
