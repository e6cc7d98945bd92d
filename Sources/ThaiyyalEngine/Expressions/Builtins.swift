import ThaiyyalCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The methods and functions of the expression language (ENGINE.md 11.2, 11.4, 11.5).
enum Builtins {
  static func method(
    _ name: String,
    on base: JSONValue,
    _ arguments: [JSONValue],
    _ scope: EvaluationScope
  ) throws(EvaluationError) -> JSONValue {
    func argument(_ index: Int) throws(EvaluationError) -> JSONValue {
      guard index < arguments.count else {
        throw EvaluationError("\(name)() needs \(index + 1) argument(s)")
      }
      return arguments[index]
    }
    func stringArgument(_ index: Int) throws(EvaluationError) -> String {
      try scope.text(try argument(index))
    }
    switch (base, name) {
    case (.string(let text), "toUpperCase"): return .string(try scope.checked(text.uppercased()))
    case (.string(let text), "toLowerCase"): return .string(try scope.checked(text.lowercased()))
    case (.string(let text), "trim"): return .string(String(text.trimmingWhitespace()))
    case (.string(let text), "includes"):
      return .bool(ByteText.contains(text, try stringArgument(0)))
    case (.string(let text), "startsWith"):
      return .bool(text.utf8.starts(with: try stringArgument(0).utf8))
    case (.string(let text), "endsWith"):
      return .bool(text.utf8.reversed().starts(with: try stringArgument(0).utf8.reversed()))
    case (.string(let text), "replace"):
      let target = try stringArgument(0)
      let replacement = try stringArgument(1)
      guard !target.isEmpty else { return .string(text) }
      // Sized before it is built: a short text with many matches and a long replacement must
      // be refused, not allocated.
      let matches = ByteText.count(of: target, in: text)
      let growth = replacement.utf8.count.multipliedReportingOverflow(by: matches)
      let size = text.utf8.count - matches * target.utf8.count + growth.partialValue
      try scope.reserve(bytes: growth.overflow || size < 0 ? .max : size)
      return .string(ByteText.replacing(target, with: replacement, in: text))
    case (.string(let text), "split"):
      let separator = try stringArgument(0)
      if separator.isEmpty {
        try scope.reserve(bytes: text.utf8.count * 20)
        return .array(text.map { .string(String($0)) })
      }
      let pieces = ByteText.count(of: separator, in: text) + 1
      try scope.reserve(bytes: text.utf8.count + pieces * 20)
      return .array(ByteText.split(text, by: separator).map(JSONValue.string))
    case (.array(let items), "includes"):
      let needle = try argument(0)
      let needleText = try scope.text(needle)
      for item in items {
        try scope.checkpoint()
        if item == needle { return true }
        if try scope.text(item) == needleText { return true }
      }
      return false
    case (.array(let items), "join"):
      let separator = try scope.text(arguments.first ?? ",")
      var texts: [String] = []
      var size = separator.utf8.count * max(items.count - 1, 0)
      for item in items {
        let text = try scope.text(item)
        size += text.utf8.count
        texts.append(text)
      }
      try scope.reserve(bytes: size)
      return .string(texts.joined(separator: separator))
    case (.array(let items), "reverse"): return try scope.checked(.array(items.reversed()))
    case (.array(let items), "first"): return items.first ?? .null
    case (.array(let items), "last"): return items.last ?? .null
    default: throw EvaluationError("\(base.goTypeName) has no method \(name)()")
    }
  }

  static func call(
    _ name: String,
    _ expressions: [Expression],
    _ scope: EvaluationScope
  ) throws(EvaluationError) -> JSONValue {
    // `map` evaluates its second argument once per element; everything else takes values.
    if name == "map" {
      guard expressions.count == 2 else {
        throw EvaluationError("map() needs an array and an expression")
      }
      guard case .array(let items) = try ExpressionEvaluator.value(expressions[0], scope) else {
        throw EvaluationError("map() needs an array")
      }
      var results: [JSONValue] = []
      var size = 0
      for item in items {
        var itemScope = scope
        itemScope.current = item
        let result = try ExpressionEvaluator.value(expressions[1], itemScope)
        // Checked as it grows: each result may be within the limit and all of them not.
        size += try scope.measured(result)
        if size > scope.budget.maxValueBytes { try scope.reserve(bytes: size) }
        try scope.checkpoint()
        results.append(result)
      }
      try scope.reserve(bytes: size)
      return .array(results)
    }
    if name == "coalesce" {
      for expression in expressions {
        if let value = try? ExpressionEvaluator.value(expression, scope), value != .null {
          return value
        }
      }
      return .null
    }
    if name == "isNull" {
      guard expressions.count == 1 else { throw EvaluationError("isNull() needs one argument") }
      return .bool(((try? ExpressionEvaluator.value(expressions[0], scope)) ?? .null) == .null)
    }
    var arguments: [JSONValue] = []
    for expression in expressions {
      arguments.append(try ExpressionEvaluator.value(expression, scope))
    }
    return try function(name, arguments, scope)
  }

  /// The numbers a numeric function works on: one array argument, or the arguments themselves.
  static func numbers(
    _ name: String,
    _ arguments: [JSONValue],
    minimum: Int
  ) throws(EvaluationError) -> [Double] {
    let values: [JSONValue]
    if arguments.count == 1, case .array(let items) = arguments[0] {
      values = items
    } else {
      values = arguments
    }
    if arguments.count != 1 && values.count < minimum {
      throw EvaluationError("\(name)() needs an array or at least \(minimum) values")
    }
    var numbers: [Double] = []
    for value in values { numbers.append(try ExpressionEvaluator.number(value)) }
    return numbers
  }

  static func function(
    _ name: String,
    _ arguments: [JSONValue],
    _ scope: EvaluationScope
  ) throws(EvaluationError) -> JSONValue {
    func array(_ index: Int = 0) throws(EvaluationError) -> [JSONValue] {
      guard index < arguments.count, case .array(let items) = arguments[index] else {
        throw EvaluationError("\(name)() needs an array")
      }
      return items
    }
    func elementwise(_ transform: (Double) -> Double) throws(EvaluationError) -> JSONValue {
      guard arguments.count == 1 else { throw EvaluationError("\(name)() takes one argument") }
      if case .array(let items) = arguments[0] {
        var out: [JSONValue] = []
        for item in items { out.append(.number(transform(try ExpressionEvaluator.number(item)))) }
        return .array(out)
      }
      return .number(transform(try ExpressionEvaluator.number(arguments[0])))
    }
    switch name {
    case "sum": return .number(try numbers(name, arguments, minimum: 1).reduce(0, +))
    case "avg":
      let values = try numbers(name, arguments, minimum: 2)
      guard !values.isEmpty else { throw EvaluationError("avg() of an empty array") }
      return .number(values.reduce(0, +) / Double(values.count))
    case "min", "max":
      let values = try numbers(name, arguments, minimum: 2)
      guard let result = name == "min" ? values.min() : values.max() else {
        throw EvaluationError("\(name)() of nothing")
      }
      return .number(result)
    case "round": return try elementwise { $0.rounded(.toNearestOrAwayFromZero) }
    case "floor": return try elementwise { $0.rounded(.down) }
    case "ceil": return try elementwise { $0.rounded(.up) }
    case "abs": return try elementwise { Swift.abs($0) }
    case "sqrt":
      guard arguments.count == 1 else { throw EvaluationError("sqrt() takes one argument") }
      let value = try ExpressionEvaluator.number(arguments[0])
      guard value >= 0 else { throw EvaluationError("sqrt of a negative number") }
      return .number(value.squareRoot())
    case "pow":
      guard arguments.count == 2 else { throw EvaluationError("pow() takes two arguments") }
      let result = Self.power(
        try ExpressionEvaluator.number(arguments[0]),
        try ExpressionEvaluator.number(arguments[1])
      )
      guard result.isFinite else { throw EvaluationError("pow() result out of range") }
      return .number(result)
    case "reverse": return try scope.checked(.array(try array().reversed()))
    case "flatten":
      return try scope.checked(.array(JSONValue.flatten(try array())))
    case "unique":
      var seen: Set<String> = []
      var kept: [JSONValue] = []
      for item in try array() where seen.insert(try scope.text(item)).inserted {
        kept.append(item)
      }
      return try scope.checked(.array(kept))
    case "sort":
      return try scope.checked(.array(try array().sorted(by: order)))
    case "slice":
      let items = try array()
      guard arguments.count >= 2 else {
        throw EvaluationError("slice() needs an array and a start")
      }
      func position(_ value: JSONValue) throws(EvaluationError) -> Int {
        let raw = Int(max(min(try ExpressionEvaluator.number(value), 1e9), -1e9))
        return min(max(raw < 0 ? raw + items.count : raw, 0), items.count)
      }
      let start = try position(arguments[1])
      let end = arguments.count > 2 ? try position(arguments[2]) : items.count
      return .array(start < end ? Array(items[start ..< end]) : [])
    case "zip":
      var lists: [[JSONValue]] = []
      for index in arguments.indices { lists.append(try array(index)) }
      let length = lists.map(\.count).max() ?? 0
      try scope.reserve(bytes: length * (lists.count + 1) * 16)
      return .array(
        (0 ..< length).map { row in .array(lists.map { row < $0.count ? $0[row] : .null }) }
      )
    case "sample":
      let items = try array()
      guard arguments.count == 2 else {
        throw EvaluationError("sample() needs an array and a count")
      }
      let count = Int(max(min(try ExpressionEvaluator.number(arguments[1]), 1e9), 0))
      guard count > 0 else { return .array([]) }
      guard count < items.count else { return .array(items) }
      let step = items.count / count
      return .array((0 ..< count).map { items[$0 * step] })
    case "now":
      return .string(
        RFC3339.format(epochSeconds: Double(ThaiyyalCore.Clock.nowMilliseconds()) / 1000)
      )
    case "parseDate":
      return .string(RFC3339.format(epochSeconds: try seconds(arguments.first)))
    case "toEpoch":
      return .number(try seconds(arguments.first).rounded(.down))
    case "toEpochMillis":
      return .number((try seconds(arguments.first) * 1000).rounded(.down))
    case "fromEpoch", "fromEpochMillis":
      guard let first = arguments.first else { throw EvaluationError("\(name)() needs a number") }
      var value = try ExpressionEvaluator.number(first)
      if name == "fromEpochMillis" { value /= 1000 }
      return .string(try time(value))
    case "dateDiff":
      guard arguments.count >= 2 else { throw EvaluationError("dateDiff() needs two times") }
      let difference = try seconds(arguments[1]) - seconds(arguments[0])
      return .number(difference / (try unitSeconds(arguments.count > 2 ? arguments[2] : "seconds")))
    case "dateAdd":
      guard arguments.count >= 2 else {
        throw EvaluationError("dateAdd() needs a time and an amount")
      }
      let amount = try ExpressionEvaluator.number(arguments[1])
      let unit = try unitSeconds(arguments.count > 2 ? arguments[2] : "seconds")
      return .string(try time(try seconds(arguments[0]) + amount * unit))
    case "year", "month", "day", "hour", "minute":
      let text = RFC3339.format(epochSeconds: try seconds(arguments.first))
      let parts: [String: (Int, Int)] = [
        "year": (0, 4), "month": (5, 2), "day": (8, 2), "hour": (11, 2), "minute": (14, 2),
      ]
      let (start, length) = parts[name]!
      let digits = text.dropFirst(start).prefix(length)
      return .number(Double(digits)!)
    case "contains":
      guard arguments.count == 2 else { throw EvaluationError("contains() takes two arguments") }
      return .bool(ByteText.contains(try scope.text(arguments[0]), try scope.text(arguments[1])))
    default:
      throw EvaluationError("unknown function \(name)()")
    }
  }

  /// Seconds since the epoch of a time argument: an RFC 3339 string, or a number of seconds.
  static func seconds(_ value: JSONValue?) throws(EvaluationError) -> Double {
    switch value {
    case .string(let text)?:
      guard let seconds = RFC3339.epochSeconds(text) else {
        throw EvaluationError("'\(text.prefix(40))' is not an RFC 3339 time")
      }
      return seconds
    case .number(let number)?:
      return number
    default:
      throw EvaluationError("expected a time")
    }
  }

  /// An RFC 3339 time for seconds since the epoch, within years 1 to 9999.
  static func time(_ seconds: Double) throws(EvaluationError) -> String {
    guard seconds.isFinite, (-62_135_596_800 ... 253_402_300_799).contains(seconds) else {
      throw EvaluationError("time out of range")
    }
    return RFC3339.format(epochSeconds: seconds)
  }

  static func unitSeconds(_ unit: JSONValue) throws(EvaluationError) -> Double {
    switch unit.stringValue ?? "" {
    case "ms", "millisecond", "milliseconds": return 0.001
    case "s", "second", "seconds": return 1
    case "m", "minute", "minutes": return 60
    case "h", "hour", "hours": return 3600
    case "d", "day", "days": return 86_400
    default: throw EvaluationError("unknown time unit \(unit.text)")
    }
  }

  /// ENGINE.md 11.5 `sort`: numbers numerically, strings by bytes, otherwise by their text.
  static func order(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x < y
    case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
    default: return a.text.utf8.lexicographicallyPrecedes(b.text.utf8)
    }
  }

  /// `base` to the power `exponent`, as C's `pow`.
  static func power(_ base: Double, _ exponent: Double) -> Double {
    pow(base, exponent)
  }
}
