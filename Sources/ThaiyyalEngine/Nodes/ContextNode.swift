import ThaiyyalCore

/// `context_variable` / `context_constant`: named values for expressions (`context.<name>`),
/// converted by their declared type.
struct ContextNode: NodeExecutor {
  let constant: Bool

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let kind = constant ? "const" : "variable"
    let nodeName = constant ? "context_constant" : "context_variable"
    let state = invocation.state
    if case .array(let entries)? = invocation.data["context_values"], !entries.isEmpty {
      var values: [String: JSONValue] = [:]
      for entry in entries {
        let name = entry["name"]?.stringValue ?? ""
        let type = entry["type"]?.stringValue ?? "string"
        do {
          values[name] = try Self.convert(entry["value"] ?? .null, to: type)
        } catch {
          throw NodeFailure(
            "\(nodeName) node: error converting \(name) (\(type)): \(error.message)"
          )
        }
      }
      for (name, value) in values {
        if constant {
          state.contextConstants[name] = value
        } else {
          state.contextVariables[name] = value
        }
      }
      return ["type": .string(kind), constant ? "constants" : "variables": .object(values)]
    }
    let name = invocation.data["context_name"]?.stringValue ?? ""
    guard let value = invocation.data["context_value"], value != .null else {
      throw NodeFailure("\(nodeName) node: context_value is required")
    }
    if constant {
      state.contextConstants[name] = value
    } else {
      state.contextVariables[name] = value
    }
    return ["type": .string(kind), "name": .string(name), "value": value]
  }

  static func convert(_ value: JSONValue, to type: String) throws(NodeFailure) -> JSONValue {
    switch type {
    case "string":
      return .string(value.text)
    case "number":
      if case .number = value { return value }
      if case .string(let text) = value, let number = Double(text.trimmingWhitespace()) {
        return .number(number)
      }
      throw NodeFailure("cannot convert \(value.text) to number")
    case "boolean":
      switch value {
      case .bool: return value
      case .number(let number): return .bool(number != 0)
      case .string(let text):
        if ["1", "t", "T", "TRUE", "true", "True"].contains(text) { return true }
        if ["0", "f", "F", "FALSE", "false", "False"].contains(text) { return false }
        throw NodeFailure("cannot convert \(text) to boolean")
      default: throw NodeFailure("cannot convert \(value.text) to boolean")
      }
    case "time_string":
      guard case .string(let text) = value, RFC3339.isValid(text) else {
        throw NodeFailure("value must be an RFC 3339 time")
      }
      return value
    case "epoch_second", "epoch_ms":
      let seconds: Double
      switch value {
      case .number(let number): seconds = type == "epoch_ms" ? number / 1000 : number
      case .string(let text):
        guard let integer = Int64(text) else {
          throw NodeFailure("cannot convert \(text) to an epoch time")
        }
        seconds = type == "epoch_ms" ? Double(integer) / 1000 : Double(integer)
      default: throw NodeFailure("cannot convert \(value.text) to an epoch time")
      }
      // Go's time range is wider, but beyond year 9999 RFC 3339 cannot write it.
      guard seconds.isFinite, (-62_135_596_800 ... 253_402_300_799).contains(seconds) else {
        throw NodeFailure("epoch time \(value.text) is out of range")
      }
      return .string(RFC3339.format(epochSeconds: seconds))
    case "null":
      return .null
    default:
      throw NodeFailure("unsupported type \(type)")
    }
  }
}

/// RFC 3339 times in UTC, without Foundation (the engine is pure).
enum RFC3339 {
  /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
  static func isValid(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    func digits(_ range: Range<Int>) -> Bool {
      range.upperBound <= bytes.count && range.allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
    }
    guard bytes.count >= 20, digits(0 ..< 4), bytes[4] == 0x2D, digits(5 ..< 7), bytes[7] == 0x2D,
      digits(8 ..< 10),
      bytes[10] == 0x54 || bytes[10] == 0x74, digits(11 ..< 13), bytes[13] == 0x3A,
      digits(14 ..< 16),
      bytes[16] == 0x3A, digits(17 ..< 19)
    else { return false }
    var index = 19
    if bytes[index] == 0x2E {
      index += 1
      let start = index
      while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
      guard index > start else { return false }
    }
    guard index < bytes.count else { return false }
    if bytes[index] == 0x5A || bytes[index] == 0x7A { return index + 1 == bytes.count }
    guard bytes[index] == 0x2B || bytes[index] == 0x2D, index + 6 == bytes.count else {
      return false
    }
    return digits(index + 1 ..< index + 3) && bytes[index + 3] == 0x3A
      && digits(index + 4 ..< index + 6)
  }

  /// Seconds since the epoch of an RFC 3339 time, or `nil` when `text` is not one.
  static func epochSeconds(_ text: String) -> Double? {
    guard isValid(text) else { return nil }
    let bytes = Array(text.utf8)
    func number(_ range: Range<Int>) -> Int64 {
      range.reduce(0) { $0 * 10 + Int64(bytes[$1] - 0x30) }
    }
    let (year, month, day) = (number(0 ..< 4), number(5 ..< 7), number(8 ..< 10))
    let (hour, minute, second) = (number(11 ..< 13), number(14 ..< 16), number(17 ..< 19))
    guard (1 ... 12).contains(month), (1 ... 31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var index = 19
    var fraction = 0.0
    if bytes[index] == 0x2E {
      var scale = 0.1
      index += 1
      while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
        fraction += Double(bytes[index] - 0x30) * scale
        scale /= 10
        index += 1
      }
    }
    var offset: Int64 = 0
    if bytes[index] == 0x2B || bytes[index] == 0x2D {
      offset = (number(index + 1 ..< index + 3) * 60 + number(index + 4 ..< index + 6)) * 60
      if bytes[index] == 0x2D { offset = -offset }
    }
    let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
    return Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
  }

  /// A UTC time as Go prints `time.Time` in RFC 3339 (fraction only when non-zero).
  static func format(epochSeconds: Double) -> String {
    let whole = Int64(epochSeconds.rounded(.down))
    let nanos = Int64(((epochSeconds - Double(whole)) * 1e9).rounded())
    let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
    let secondOfDay = whole - days * 86_400
    let date = CivilDate(daysSinceEpoch: days)
    let pad = CivilDate.pad
    var out = date.text + "T"
    out +=
      "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
    if nanos > 0 {
      var fraction = pad(nanos, 9)
      while fraction.hasSuffix("0") { fraction.removeLast() }
      out += "." + fraction
    }
    return out + "Z"
  }
}
