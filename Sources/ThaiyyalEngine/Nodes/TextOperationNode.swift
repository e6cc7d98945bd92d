/// `text_operation`: case changes, concatenation and repetition of text.
struct TextOperationNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard invocation.node.data != nil else {
      throw NodeFailure("expected TextOperationData, got <nil>")
    }
    guard !invocation.inputs.isEmpty else {
      throw NodeFailure("text operation needs at least 1 input")
    }
    let op = invocation.data["text_op"]?.stringValue ?? ""
    if op == "concat" {
      let separator = invocation.data["separator"]?.stringValue ?? ""
      var parts: [String] = []
      var size = separator.utf8.count * (invocation.inputs.count - 1)
      for (index, input) in invocation.inputs.enumerated() {
        guard case .string(let text) = input else {
          throw NodeFailure("concat operation input \(index) must be text/string")
        }
        parts.append(text)
        size += text.utf8.count
      }
      // Sized before it is built: many edges from one large text add up.
      try invocation.reserve(bytes: size)
      return .string(parts.joined(separator: separator))
    }
    let known = ["uppercase", "lowercase", "titlecase", "camelcase", "inversecase", "repeat"]
    guard known.contains(op) else { throw NodeFailure("unknown text operation: \(op)") }
    guard case .string(let text) = invocation.inputs[0] else {
      throw NodeFailure("text operation input must be text/string")
    }
    switch op {
    case "uppercase": return .string(text.uppercased())
    case "lowercase": return .string(text.lowercased())
    case "titlecase": return .string(Self.titleCase(text))
    case "camelcase": return .string(Self.camelCase(text))
    case "inversecase":
      return .string(
        String(
          text.unicodeScalars.map { scalar -> String in
            let string = String(scalar)
            return scalar.properties.isUppercase ? string.lowercased() : string.uppercased()
          }.joined()
        )
      )
    default:
      guard case .number(let count)? = invocation.data["repeat_n"] else {
        throw NodeFailure("repeat operation requires repeat_n field")
      }
      guard count >= 0 else {
        throw NodeFailure("repeat count must be non-negative, got \(GoNumberFormat.text(count))")
      }
      let limit = invocation.state.budget.maxValueBytes
      guard count <= Double(limit),
        text.isEmpty || Int(count) <= limit / text.utf8.count
      else {
        throw NodeFailure("repeat would produce more than \(limit) bytes")
      }
      let times = Int(count)
      try invocation.reserve(bytes: text.utf8.count * times)
      return .string(String(repeating: text, count: times))
    }
  }

  /// Lower-case everything, then capitalise the first letter of each word. Words break as in
  /// Unicode word segmentation: a hyphen or space ends a word, but an apostrophe, period or colon
  /// between two letters does not (`o'neil-smith` → `O'neil-Smith`).
  static func titleCase(_ text: String) -> String {
    let characters = Array(text.lowercased())
    var out = ""
    var atWordStart = true
    for (index, character) in characters.enumerated() {
      let isWordCharacter = character.isLetter || character.isNumber
      let joinsWord =
        "'’.:·".contains(character) && index > 0 && index + 1 < characters.count
        && characters[index - 1].isLetter && characters[index + 1].isLetter
      if isWordCharacter && atWordStart {
        out += character.uppercased()
      } else {
        out.append(character)
      }
      atWordStart = !(isWordCharacter || joinsWord)
    }
    return out
  }

  /// Split on whitespace; the first word lower-case, later words with their first character
  /// upper-case and the rest lower-case, joined without spaces.
  static func camelCase(_ text: String) -> String {
    let words = text.split(whereSeparator: \.isWhitespace)
    return words.enumerated().map { index, word in
      let lower = word.lowercased()
      guard index > 0, let first = lower.first else { return lower }
      return first.uppercased() + lower.dropFirst()
    }.joined()
  }
}
