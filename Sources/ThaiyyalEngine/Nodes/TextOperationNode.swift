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
    if let changed = ASCIIText.apply(op, to: text) ?? Self.caseChanged(op, text) {
      return .string(changed)
    }
    // repeat
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

  /// A case operation on any text, Unicode-aware; `nil` for an operation that is not one.
  static func caseChanged(_ op: String, _ text: String) -> String? {
    switch op {
    case "uppercase": text.uppercased()
    case "lowercase": text.lowercased()
    case "titlecase": titleCase(text)
    case "camelcase": camelCase(text)
    case "inversecase":
      text.unicodeScalars.map { scalar -> String in
        let string = String(scalar)
        return scalar.properties.isUppercase ? string.lowercased() : string.uppercased()
      }.joined()
    default: nil
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

/// The case operations on ASCII text, byte by byte: the same results as the Unicode-aware ones
/// (which they skip), at a fraction of the cost. Text with any other byte is not handled here.
enum ASCIIText {
  /// `op` applied to `text`, or `nil` when `text` is not ASCII or `op` has no ASCII form.
  static func apply(_ op: String, to text: String) -> String? {
    guard op != "repeat" else { return nil }
    var bytes = Array(text.utf8)
    guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
    switch op {
    case "uppercase":
      for i in bytes.indices { bytes[i] = upper(bytes[i]) }
    case "lowercase":
      for i in bytes.indices { bytes[i] = lower(bytes[i]) }
    case "inversecase":
      for i in bytes.indices {
        bytes[i] = isUpper(bytes[i]) ? lower(bytes[i]) : upper(bytes[i])
      }
    case "titlecase":
      titleCase(&bytes)
    case "camelcase":
      bytes = camelCase(bytes)
    default:
      return nil
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
  static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
  static func isLetter(_ byte: UInt8) -> Bool { isUpper(byte) || isLower(byte) }
  static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
  static func upper(_ byte: UInt8) -> UInt8 { isLower(byte) ? byte - 0x20 : byte }
  static func lower(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte + 0x20 : byte }
  /// Space, tab, line feed, vertical tab, form feed, carriage return.
  static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }

  /// ``TextOperationNode/titleCase(_:)`` on ASCII: `'`, `.` and `:` between two letters join a
  /// word.
  static func titleCase(_ bytes: inout [UInt8]) {
    for i in bytes.indices { bytes[i] = lower(bytes[i]) }
    var atWordStart = true
    for i in bytes.indices {
      let byte = bytes[i]
      let isWordCharacter = isLetter(byte) || isDigit(byte)
      let joinsWord =
        (byte == 0x27 || byte == 0x2E || byte == 0x3A) && i > 0 && i + 1 < bytes.count
        && isLetter(bytes[i - 1]) && isLetter(bytes[i + 1])
      if isWordCharacter && atWordStart { bytes[i] = upper(byte) }
      atWordStart = !(isWordCharacter || joinsWord)
    }
  }

  /// ``TextOperationNode/camelCase(_:)`` on ASCII.
  static func camelCase(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var word = 0
    var i = 0
    while i < bytes.count {
      guard !isSpace(bytes[i]) else {
        i += 1
        continue
      }
      let start = i
      while i < bytes.count, !isSpace(bytes[i]) { i += 1 }
      for j in start ..< i {
        out.append(word > 0 && j == start ? upper(bytes[j]) : lower(bytes[j]))
      }
      word += 1
    }
    return out
  }
}
