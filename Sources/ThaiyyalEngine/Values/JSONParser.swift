/// Parses JSON text into ``JSONValue`` without recursion, so hostile nesting cannot overflow the
/// stack, and with a nesting limit that answers with a clear error instead.
///
/// Follows Go's `encoding/json` where workflows can tell: numbers become doubles, a repeated object
/// key keeps its last value, invalid UTF-8 inside strings is replaced with U+FFFD.
public struct JSONParser {
  /// The deepest nesting accepted.
  public var maxDepth: Int
  /// The most values (scalars and containers) one text may hold: a few bytes of text can become
  /// tens of bytes of memory each (`[[],[],…]`), so a run bounds the count before it builds.
  public var maxValues: Int

  public init(maxDepth: Int = 512, maxValues: Int = .max) {
    self.maxDepth = maxDepth
    self.maxValues = maxValues
  }

  /// A parse failure with the byte offset where it was found.
  public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "invalid JSON at offset \(offset): \(message)" }
  }

  public func parse(_ text: String) throws(Failure) -> JSONValue {
    var bytes = Array(text.utf8)
    bytes.append(0)
    return try parse(bytes: bytes, count: bytes.count - 1)
  }

  public func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
    var padded = bytes
    padded.append(0)
    return try parse(bytes: padded, count: bytes.count)
  }

  /// A container being filled. Its elements collect on a stack shared by all open containers
  /// (``Scratch``), from `start`, and become the container, at its full size, when it closes: no
  /// allocation per container but the container itself.
  fileprivate enum Frame {
    case array(start: Int)
    /// `key` is the key of the member being read.
    case object(start: Int, key: String)
  }

  /// The elements of the open containers, innermost last.
  fileprivate struct Scratch {
    var items: [JSONValue] = []
    var keys: [String] = []

    /// The array of the items from `start`, which leave the stack.
    mutating func array(from start: Int) -> JSONValue {
      let array = Array(items[start...])
      items.removeSubrange(start...)
      return .array(array)
    }

    /// The object of the members from `start`, which leave the stack; a repeated key keeps its
    /// last value, as Go's decoder does.
    mutating func object(from start: Int, keyStart: Int) -> JSONValue {
      var fields = [String: JSONValue](minimumCapacity: items.count - start)
      for (key, value) in zip(keys[keyStart...], items[start...]) { fields[key] = value }
      items.removeSubrange(start...)
      keys.removeSubrange(keyStart...)
      return .object(fields)
    }
  }

  private func parse(bytes: [UInt8], count: Int) throws(Failure) -> JSONValue {
    var cursor = Cursor(parser: self, bytes: bytes, count: count)
    let value = try cursor.value(depth: 0)
    try cursor.end()
    return value
  }

  /// JSON text read from a position on: one value at a time (``value(depth:)``), or, for readers
  /// that take a document apart as they go (the workflow decoder), its punctuation and keys. The
  /// nesting limit and value count hold across all of it.
  struct Cursor {
    let parser: JSONParser
    /// The text, followed by one 0 byte.
    let bytes: [UInt8]
    let count: Int
    var index = 0
    /// Values read so far, containers included.
    var values = 0
    /// The parser's stacks, kept from one value to the next so that reading many small values
    /// (a workflow's nodes) does not allocate them each time.
    fileprivate var buffers = Buffers()

    init(parser: JSONParser, bytes: [UInt8], count: Int) {
      self.parser = parser
      self.bytes = bytes
      self.count = count
    }

    /// The text of `text`, ready to read.
    init(parser: JSONParser, text: String) {
      var bytes = Array(text.utf8)
      bytes.append(0)
      self.init(parser: parser, bytes: bytes, count: bytes.count - 1)
    }

    func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

    mutating func skipSpace() {
      while index < count,
        bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
      {
        index += 1
      }
    }

    /// The next byte after white space, or `nil` at the end.
    mutating func peek() -> UInt8? {
      skipSpace()
      return index < count ? bytes[index] : nil
    }

    /// Opens a container at nesting `depth` (the containers already open around it): counts it
    /// as a value and steps past its bracket.
    mutating func open(depth: Int) throws(Failure) {
      skipSpace()
      values += 1
      guard values <= parser.maxValues else { throw fail("more than \(parser.maxValues) values") }
      guard depth < parser.maxDepth else {
        throw fail("nesting deeper than \(parser.maxDepth) levels")
      }
      index += 1
    }

    /// Steps past `byte` when it comes next (after white space).
    mutating func take(_ byte: UInt8) -> Bool {
      guard peek() == byte else { return false }
      index += 1
      return true
    }

    /// After a member or an element: steps past `,` (true) or the closing `closer` (false).
    mutating func separator(closing closer: UInt8, in container: String) throws(Failure) -> Bool {
      skipSpace()
      guard index < count else { throw fail("unexpected end of input in \(container)") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
        return true
      }
      guard bytes[index] == closer else {
        throw fail("expected ',' or '\(Character(Unicode.Scalar(closer)))'")
      }
      index += 1
      return false
    }

    /// Reads `"key"` and the colon after it.
    mutating func key() throws(Failure) -> String {
      skipSpace()
      return try parser.readKey(bytes, count, &index)
    }

    /// Reads `"key"` and the colon after it, and answers which of `names` it is (`nil` for
    /// none). A key without escapes is compared as bytes, without building a string.
    mutating func key(among names: [[UInt8]]) throws(Failure) -> Int? {
      skipSpace()
      let start = index
      if start < count, bytes[start] == UInt8(ascii: "\"") {
        var end = start + 1
        while end < count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
          bytes[end] >= 0x20
        {
          end += 1
        }
        if end < count, bytes[end] == UInt8(ascii: "\"") {
          let key = bytes[start + 1 ..< end]
          let found = names.firstIndex { $0.count == key.count && $0.elementsEqual(key) }
          index = end + 1
          skipSpace()
          guard index < count, bytes[index] == UInt8(ascii: ":") else {
            throw fail("expected ':' after an object key")
          }
          index += 1
          return found
        }
      }
      // Escapes, or an error to report as the parser does.
      let key = try parser.readKey(bytes, count, &index)
      return names.firstIndex { $0.elementsEqual(key.utf8) }
    }

    /// Nothing but white space is left.
    mutating func end() throws(Failure) {
      skipSpace()
      guard index == count else { throw fail("unexpected data after the value") }
    }

    /// Reads one value whose containers open at nesting `depth` and deeper. A string or a number
    /// (most of a workflow's members) is read directly.
    mutating func value(depth: Int) throws(Failure) -> JSONValue {
      skipSpace()
      if index < count {
        let byte = bytes[index]
        if byte == UInt8(ascii: "\"") {
          values += 1
          guard values <= parser.maxValues else {
            throw fail("more than \(parser.maxValues) values")
          }
          return .string(try parser.readString(bytes, count, &index))
        }
        if byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) {
          values += 1
          guard values <= parser.maxValues else {
            throw fail("more than \(parser.maxValues) values")
          }
          return .number(try parser.readNumber(bytes, count, &index))
        }
        if byte == UInt8(ascii: "{") { return try object(depth: depth) }
      }
      return try parser.parseValue(bytes, count, &index, depth: depth, values: &values, &buffers)
    }

    /// An object read member by member into its dictionary: most objects in a workflow (a
    /// node's data) hold scalars. A member that is a container goes to the parser's loop, so
    /// nesting never recurses here. Accepts and refuses exactly what the loop does.
    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
      try open(depth: depth)
      var fields: [String: JSONValue] = [:]
      if take(UInt8(ascii: "}")) { return .object(fields) }
      repeat {
        let key = try key()
        skipSpace()
        if index < count, bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") {
          fields[key] = try parser.parseValue(
            bytes,
            count,
            &index,
            depth: depth + 1,
            values: &values,
            &buffers
          )
        } else {
          fields[key] = try value(depth: depth + 1)
        }
      } while try separator(closing: UInt8(ascii: "}"), in: "an object")
      return .object(fields)
    }
  }

  /// The stacks ``parseValue(_:_:_:depth:values:_:)`` works on.
  fileprivate struct Buffers {
    var stack: [Frame] = []
    var scratch = Scratch()
    /// For each open object, where its keys start on the scratch stack.
    var keyStarts: [Int] = []
  }

  fileprivate func parseValue(
    _ bytes: [UInt8],
    _ count: Int,
    _ index: inout Int,
    depth: Int,
    values: inout Int,
    _ buffers: inout Buffers
  ) throws(Failure) -> JSONValue {
    // Taken out of `buffers` (so they are uniquely referenced and grow in place), and put back,
    // emptied, for the next value.
    var (stack, scratch, keyStarts) = (buffers.stack, buffers.scratch, buffers.keyStarts)
    buffers = Buffers()
    defer {
      stack.removeAll(keepingCapacity: true)
      scratch.items.removeAll(keepingCapacity: true)
      scratch.keys.removeAll(keepingCapacity: true)
      keyStarts.removeAll(keepingCapacity: true)
      buffers = Buffers(stack: stack, scratch: scratch, keyStarts: keyStarts)
    }
    func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }
    func skipSpace() {
      while index < count,
        bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
      {
        index += 1
      }
    }

    skipSpace()
    while true {
      // Read one value, or open a container.
      skipSpace()
      guard index < count else { throw fail("unexpected end of input") }
      values += 1
      guard values <= maxValues else { throw fail("more than \(maxValues) values") }
      var value: JSONValue
      switch bytes[index] {
      case UInt8(ascii: "{"):
        guard depth + stack.count < maxDepth else {
          throw fail("nesting deeper than \(maxDepth) levels")
        }
        index += 1
        skipSpace()
        if index < count, bytes[index] == UInt8(ascii: "}") {
          index += 1
          value = .object([:])
        } else {
          stack.append(.object(start: scratch.items.count, key: try readKey(bytes, count, &index)))
          keyStarts.append(scratch.keys.count)
          continue
        }
      case UInt8(ascii: "["):
        guard depth + stack.count < maxDepth else {
          throw fail("nesting deeper than \(maxDepth) levels")
        }
        index += 1
        skipSpace()
        if index < count, bytes[index] == UInt8(ascii: "]") {
          index += 1
          value = .array([])
        } else {
          stack.append(.array(start: scratch.items.count))
          continue
        }
      case UInt8(ascii: "\""):
        value = .string(try readString(bytes, count, &index))
      case UInt8(ascii: "t"):
        try expect("true", bytes, count, &index)
        value = .bool(true)
      case UInt8(ascii: "f"):
        try expect("false", bytes, count, &index)
        value = .bool(false)
      case UInt8(ascii: "n"):
        try expect("null", bytes, count, &index)
        value = .null
      default:
        value = .number(try readNumber(bytes, count, &index))
      }

      // Attach it to the open container, closing containers as they end.
      while true {
        guard let frame = stack.last else { return value }
        skipSpace()
        switch frame {
        case .array(let start):
          scratch.items.append(value)
          guard index < count else { throw fail("unexpected end of input in an array") }
          if bytes[index] == UInt8(ascii: ",") {
            index += 1
          } else if bytes[index] == UInt8(ascii: "]") {
            index += 1
            stack.removeLast()
            value = scratch.array(from: start)
            continue
          } else {
            throw fail("expected ',' or ']'")
          }
        case .object(let start, let key):
          scratch.items.append(value)
          scratch.keys.append(key)
          guard index < count else { throw fail("unexpected end of input in an object") }
          if bytes[index] == UInt8(ascii: ",") {
            index += 1
            skipSpace()
            stack[stack.count - 1] = .object(start: start, key: try readKey(bytes, count, &index))
          } else if bytes[index] == UInt8(ascii: "}") {
            index += 1
            stack.removeLast()
            value = scratch.object(from: start, keyStart: keyStarts.removeLast())
            continue
          } else {
            throw fail("expected ',' or '}'")
          }
        }
        break
      }
    }
  }

  /// Reads `"key"` and the colon after it.
  fileprivate func readKey(
    _ bytes: [UInt8],
    _ count: Int,
    _ index: inout Int
  ) throws(Failure)
    -> String
  {
    guard index < count, bytes[index] == UInt8(ascii: "\"") else {
      throw Failure(message: "expected a string key", offset: index)
    }
    let key = try readString(bytes, count, &index)
    while index < count,
      bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
    {
      index += 1
    }
    guard index < count, bytes[index] == UInt8(ascii: ":") else {
      throw Failure(message: "expected ':' after an object key", offset: index)
    }
    index += 1
    return key
  }

  private func expect(
    _ word: StaticString,
    _ bytes: [UInt8],
    _ count: Int,
    _ index: inout Int
  ) throws(Failure) {
    let length = word.utf8CodeUnitCount
    guard index + length <= count else {
      throw Failure(message: "unexpected end of input", offset: index)
    }
    for offset in 0 ..< length where bytes[index + offset] != word.utf8Start[offset] {
      throw Failure(message: "invalid literal", offset: index)
    }
    index += length
  }

  fileprivate func readNumber(
    _ bytes: [UInt8],
    _ count: Int,
    _ index: inout Int
  ) throws(Failure) -> Double {
    let start = index
    func digit(_ i: Int) -> Bool { i < count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
    if index < count, bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard digit(index) else { throw Failure(message: "invalid value", offset: start) }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      while digit(index) { index += 1 }
    }
    var fraction = false
    if index < count, bytes[index] == UInt8(ascii: ".") {
      fraction = true
      index += 1
      guard digit(index) else { throw Failure(message: "invalid number", offset: start) }
      while digit(index) { index += 1 }
    }
    if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      fraction = true
      index += 1
      if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
        index += 1
      }
      guard digit(index) else { throw Failure(message: "invalid number", offset: start) }
      while digit(index) { index += 1 }
    }
    guard index - start <= 1024 else {
      throw Failure(message: "number literal too long", offset: start)
    }
    // Integers of up to 15 digits are exact as doubles: no text to convert.
    if !fraction, index - start <= 15 {
      var magnitude = 0
      for i in (bytes[start] == UInt8(ascii: "-") ? start + 1 : start) ..< index {
        magnitude = magnitude * 10 + Int(bytes[i] - 0x30)
      }
      return bytes[start] == UInt8(ascii: "-") ? -Double(magnitude) : Double(magnitude)
    }
    let text = String(decoding: bytes[start ..< index], as: UTF8.self)
    guard let value = Double(text), value.isFinite else {
      throw Failure(message: "number out of range", offset: start)
    }
    return value
  }

  fileprivate func readString(
    _ bytes: [UInt8],
    _ count: Int,
    _ index: inout Int
  ) throws(Failure) -> String {
    let start = index
    index += 1
    var out: [UInt8] = []
    var runStart = index
    while true {
      guard index < count else { throw Failure(message: "unterminated string", offset: start) }
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        defer { index += 1 }
        // Without escapes the text is the bytes themselves.
        if out.isEmpty && runStart == start + 1 {
          return String(decoding: bytes[runStart ..< index], as: UTF8.self)
        }
        out.append(contentsOf: bytes[runStart ..< index])
        return String(decoding: out, as: UTF8.self)
      }
      if byte < 0x20 {
        throw Failure(message: "control character in a string", offset: index)
      }
      if byte != UInt8(ascii: "\\") {
        index += 1
        continue
      }
      out.append(contentsOf: bytes[runStart ..< index])
      index += 1
      guard index < count else { throw Failure(message: "unterminated string", offset: start) }
      let escape = bytes[index]
      index += 1
      switch escape {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try readHex4(bytes, count, &index)
        if (0xD800 ..< 0xDC00).contains(scalar), index + 1 < count,
          bytes[index] == UInt8(ascii: "\\"),
          bytes[index + 1] == UInt8(ascii: "u")
        {
          var lookahead = index + 2
          let low = try readHex4(bytes, count, &lookahead)
          if (0xDC00 ..< 0xE000).contains(low) {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            index = lookahead
          }
        }
        let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(character)).utf8))
      default:
        throw Failure(message: "invalid escape", offset: index - 1)
      }
      runStart = index
    }
  }

  private func readHex4(
    _ bytes: [UInt8],
    _ count: Int,
    _ index: inout Int
  ) throws(Failure) -> UInt32 {
    guard index + 4 <= count else { throw Failure(message: "invalid \\u escape", offset: index) }
    var value: UInt32 = 0
    for _ in 0 ..< 4 {
      let byte = bytes[index]
      let digit: UInt32
      switch byte {
      case 0x30 ... 0x39: digit = UInt32(byte - 0x30)
      case 0x41 ... 0x46: digit = UInt32(byte - 0x41 + 10)
      case 0x61 ... 0x66: digit = UInt32(byte - 0x61 + 10)
      default: throw Failure(message: "invalid \\u escape", offset: index)
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }
}
