/// Renders doubles the way the original Go engine does, in its two flavours (ENGINE.md section 9).
///
/// Both start from the shortest digits that round-trip (Swift's `description` gives exactly those);
/// they differ in when they switch to exponent form.
public enum GoNumberFormat {
  /// `encoding/json`: plain decimal from 1e-6 up to 1e21, otherwise exponent form with Go's clean-up
  /// (`1e-7`, `1e+21`). Integral values print without a decimal point.
  public static func json(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    if value == 0 { return value.sign == .minus ? "-0" : "0" }
    let (negative, digits, exponent) = shortest(value)
    let magnitude = abs(value)
    if magnitude < 1e-6 || magnitude >= 1e21 {
      // Go pads the exponent to two digits, then rewrites e-07 as e-7 (but keeps e+21).
      return exponential(negative, digits, exponent, minimumExponentDigits: exponent < 0 ? 1 : 2)
    }
    return decimal(negative, digits, exponent)
  }

  /// `fmt`'s `%v` (strconv's `%g` with the shortest digits): exponent form when the decimal
  /// exponent is below -4 or at least 6, so `1000000` is `1e+06` and `123456` is `123456`.
  public static func text(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
    if value == 0 { return value.sign == .minus ? "-0" : "0" }
    let (negative, digits, exponent) = shortest(value)
    if exponent < -4 || exponent >= 6 {
      return exponential(negative, digits, exponent, minimumExponentDigits: 2)
    }
    return decimal(negative, digits, exponent)
  }

  /// Shortest round-trip decimal digits and the exponent of the first digit (value = 0.d1d2... ×
  /// 10^(exponent+1), i.e. d1.d2... × 10^exponent).
  static func shortest(_ value: Double) -> (negative: Bool, digits: [UInt8], exponent: Int) {
    let text = "\(abs(value))"
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      exponent = Int(text[text.index(after: e)...])!
      mantissa = text[..<e]
    }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let integer = Array(parts[0].utf8)
    let fraction = parts.count > 1 ? Array(parts[1].utf8) : []
    var digits = integer + fraction
    var pointPosition = integer.count + exponent
    while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 {
      digits.removeFirst()
      pointPosition -= 1
    }
    while let last = digits.last, last == UInt8(ascii: "0"), digits.count > 1 {
      digits.removeLast()
    }
    return (value.sign == .minus, digits, pointPosition - 1)
  }

  static func decimal(_ negative: Bool, _ digits: [UInt8], _ exponent: Int) -> String {
    var out = negative ? "-" : ""
    let point = exponent + 1
    let text = String(decoding: digits, as: UTF8.self)
    if point <= 0 {
      out += "0." + String(repeating: "0", count: -point) + text
    } else if point >= digits.count {
      out += text + String(repeating: "0", count: point - digits.count)
    } else {
      let index = text.index(text.startIndex, offsetBy: point)
      out += text[..<index] + "." + text[index...]
    }
    return out
  }

  static func exponential(
    _ negative: Bool,
    _ digits: [UInt8],
    _ exponent: Int,
    minimumExponentDigits: Int
  ) -> String {
    var out = negative ? "-" : ""
    let text = String(decoding: digits, as: UTF8.self)
    out += String(text.prefix(1))
    if digits.count > 1 { out += "." + text.dropFirst() }
    let magnitude = String(abs(exponent))
    out +=
      (exponent < 0 ? "e-" : "e+")
      + String(repeating: "0", count: max(0, minimumExponentDigits - magnitude.count))
      + magnitude
    return out
  }
}
