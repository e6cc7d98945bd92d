/// Writes ``JSONValue`` as Go's `encoding/json` does: object keys sorted, numbers in Go's JSON
/// format, `<`, `>` and `&` escaped as `\u003c` and friends (Go's HTML-safe default), U+2028 and
/// U+2029 escaped. Non-finite numbers (which JSON cannot hold) are written as `null`.
public struct JSONWriter {
  /// Indentation per level; `nil` for compact output.
  public var indent: String?

  public init(indent: String? = nil) {
    self.indent = indent
  }

  public func string(_ value: JSONValue) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    write(value, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Iterative, so deep values cannot overflow the stack.
  public func write(_ value: JSONValue, into out: inout [UInt8]) {
    enum Step {
      case value(JSONValue, level: Int)
      case raw(String)
      case newline(level: Int)
    }
    var steps: [Step] = [.value(value, level: 0)]
    while let step = steps.popLast() {
      switch step {
      case .raw(let text):
        out.append(contentsOf: text.utf8)
      case .newline(let level):
        if let indent {
          out.append(0x0A)
          for _ in 0 ..< level { out.append(contentsOf: indent.utf8) }
        }
      case .value(let value, let level):
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let bool): out.append(contentsOf: (bool ? "true" : "false").utf8)
        case .number(let number): out.append(contentsOf: GoNumberFormat.json(number).utf8)
        case .string(let string): Self.writeString(string, into: &out)
        case .array(let items):
          guard !items.isEmpty else {
            out.append(contentsOf: "[]".utf8)
            continue
          }
          out.append(UInt8(ascii: "["))
          var pending: [Step] = []
          for (index, item) in items.enumerated() {
            if index > 0 { pending.append(.raw(",")) }
            pending.append(.newline(level: level + 1))
            pending.append(.value(item, level: level + 1))
          }
          pending.append(.newline(level: level))
          pending.append(.raw("]"))
          steps.append(contentsOf: pending.reversed())
        case .object(let fields):
          guard !fields.isEmpty else {
            out.append(contentsOf: "{}".utf8)
            continue
          }
          out.append(UInt8(ascii: "{"))
          var pending: [Step] = []
          for (index, key) in fields.keys.sorted(by: Self.byteOrder).enumerated() {
            if index > 0 { pending.append(.raw(",")) }
            pending.append(.newline(level: level + 1))
            var keyBytes: [UInt8] = []
            Self.writeString(key, into: &keyBytes)
            pending.append(
              .raw(String(decoding: keyBytes, as: UTF8.self) + (indent == nil ? ":" : ": "))
            )
            pending.append(.value(fields[key]!, level: level + 1))
          }
          pending.append(.newline(level: level))
          pending.append(.raw("}"))
          steps.append(contentsOf: pending.reversed())
        }
      }
    }
  }

  /// Go sorts map keys by their bytes.
  static func byteOrder(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
  }

  /// The string quoted and escaped as Go escapes it: `"`, `\\`, newline, return and tab by
  /// name; other control characters, `<`, `>`, `&`, U+2028 and U+2029 as `\\u` and four hex
  /// digits. Runs of bytes that need nothing are copied whole.
  static func writeString(_ string: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var string = string
    string.withUTF8 { bytes in
      var run = 0
      var index = 0
      func escape(_ code: UInt32, skipping width: Int) {
        out.append(contentsOf: bytes[run ..< index])
        switch code {
        case 0x22: out += [0x5C, 0x22]
        case 0x5C: out += [0x5C, 0x5C]
        case 0x0A: out += [0x5C, UInt8(ascii: "n")]
        case 0x0D: out += [0x5C, UInt8(ascii: "r")]
        case 0x09: out += [0x5C, UInt8(ascii: "t")]
        default:
          out += [0x5C, UInt8(ascii: "u")]
          for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = UInt8(code >> UInt32(shift) & 0xF)
            out.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
          }
        }
        index += width
        run = index
      }
      while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case 0x00 ..< 0x20, 0x22, 0x5C, 0x3C, 0x3E, 0x26:
          escape(UInt32(byte), skipping: 1)
        case 0xE2
        where index + 2 < bytes.count && bytes[index + 1] == 0x80
          && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
          escape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, skipping: 3)
        default:
          index += 1
        }
      }
      out.append(contentsOf: bytes[run ..< bytes.count])
    }
    out.append(UInt8(ascii: "\""))
  }
}
