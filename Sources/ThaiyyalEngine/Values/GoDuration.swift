/// Go's `time.Duration` text: parsing `"1h30m"`, `"1.5ms"`, `"300ms"`, and formatting the way Go
/// prints durations (`"1m0s"`, `"5s"`, `"0s"`, `"1.5ms"`).
public enum GoDuration {
  /// Nanoseconds of a Go duration string, or `nil` when it is not one.
  public static func parse(_ text: String) -> Int64? {
    var rest = Substring(text)
    var negative = false
    if rest.first == "-" || rest.first == "+" {
      negative = rest.first == "-"
      rest = rest.dropFirst()
    }
    if rest == "0" { return 0 }
    guard !rest.isEmpty else { return nil }
    var total: Double = 0
    while !rest.isEmpty {
      let number = rest.prefix { $0.isNumber || $0 == "." }
      guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
      rest = rest.dropFirst(number.count)
      let unit = rest.prefix { !$0.isNumber && $0 != "." }
      rest = rest.dropFirst(unit.count)
      let scale: Double
      switch unit {
      case "ns": scale = 1
      case "us", "µs", "μs": scale = 1e3
      case "ms": scale = 1e6
      case "s": scale = 1e9
      case "m": scale = 60e9
      case "h": scale = 3600e9
      default: return nil
      }
      total += value * scale
    }
    guard total < 9.2e18 else { return nil }
    return Int64(negative ? -total : total)
  }

  /// Like `parse`, but a bare integer means milliseconds (the original's rule for delay/timeout).
  public static func parseOrMilliseconds(_ text: String) -> Int64? {
    if let millis = Int64(text) {
      let (product, overflow) = millis.multipliedReportingOverflow(by: 1_000_000)
      return overflow ? nil : product
    }
    return parse(text)
  }

  /// Go's `Duration.String()`.
  public static func format(nanoseconds: Int64) -> String {
    if nanoseconds == 0 { return "0s" }
    let negative = nanoseconds < 0
    let magnitude = nanoseconds.magnitude
    var out: String
    if magnitude < 1_000_000_000 {
      let (unit, scale): (String, UInt64) =
        magnitude < 1000 ? ("ns", 1) : magnitude < 1_000_000 ? ("µs", 1000) : ("ms", 1_000_000)
      out = fraction(magnitude, scale) + unit
    } else {
      let hours = magnitude / 3_600_000_000_000
      let minutes = magnitude / 60_000_000_000 % 60
      let seconds = magnitude % 60_000_000_000
      out = ""
      if hours > 0 { out += "\(hours)h" }
      if hours > 0 || minutes > 0 { out += "\(minutes)m" }
      out += fraction(seconds, 1_000_000_000) + "s"
    }
    return negative ? "-" + out : out
  }

  /// `value / scale` with the fraction's trailing zeros removed.
  private static func fraction(_ value: UInt64, _ scale: UInt64) -> String {
    let whole = value / scale
    var remainder = value % scale
    guard remainder > 0 else { return String(whole) }
    var digits = String(remainder)
    digits = String(repeating: "0", count: String(scale).count - 1 - digits.count) + digits
    while digits.hasSuffix("0") {
      digits.removeLast()
      remainder /= 10
    }
    return "\(whole).\(digits)"
  }
}
