import Testing
import ThaiyyalEngine

@Suite("JSON values")
struct JSONValueTests {
  @Test(
    "numbers print as Go's encoding/json prints them",
    arguments: [
      (15.0, "15"), (-3.0, "-3"), (0.5, "0.5"), (1.0 / 3.0, "0.3333333333333333"),
      (1e20, "100000000000000000000"),
      (1e21, "1e+21"), (1.5e300, "1.5e+300"), (0.000001, "0.000001"), (1e-7, "1e-7"),
      (1.25e-10, "1.25e-10"),
      (123_456_789_012, "123456789012"), (0.1 + 0.2, "0.30000000000000004"), (0.0, "0"),
    ] as [(Double, String)]
  )
  func jsonNumbers(value: Double, expected: String) {
    #expect(GoNumberFormat.json(value) == expected)
  }

  @Test(
    "numbers as text follow Go's %v",
    arguments: [
      (1_000_000.0, "1e+06"), (1_234_567.0, "1.234567e+06"), (123456.0, "123456"),
      (0.00001, "1e-05"),
      (0.0001, "0.0001"), (2.5, "2.5"), (15.0, "15"), (-42.0, "-42"),
    ] as [(Double, String)]
  )
  func textNumbers(value: Double, expected: String) {
    #expect(GoNumberFormat.text(value) == expected)
  }

  @Test("parse and write round-trip with sorted keys and Go's escaping")
  func roundTrip() throws {
    let value = try JSONParser().parse(
      #"{"b": [1, 2.5, true, null], "a": "x<y>&\"z\"\n", "c": {}}"#
    )
    #expect(value["b"] == [1, 2.5, true, .null])
    #expect(value["a"] == .string("x<y>&\"z\"\n"))
    let text = JSONWriter().string(value)
    #expect(text == #"{"a":"x\u003cy\u003e\u0026\"z\"\n","b":[1,2.5,true,null],"c":{}}"#)
    #expect(try JSONParser().parse(text) == value)
  }

  /// Go's escaping, one Unicode scalar at a time: what the writer's byte loop must match.
  static func goQuoted(_ string: String) -> String {
    var out = "\""
    for scalar in string.unicodeScalars {
      switch scalar.value {
      case 0x22: out += "\\\""
      case 0x5C: out += "\\\\"
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0x00 ..< 0x20, 0x3C, 0x3E, 0x26, 0x2028, 0x2029:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  @Test("strings are escaped as Go escapes them, whatever they hold")
  func escaping() throws {
    var random = RandomWorkflowTests.SplitMix(state: 7)
    let alphabet: [Unicode.Scalar] = [
      "a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1f}", "\u{7f}", "<", ">",
      "&", "é", "\u{2027}", "\u{2028}", "\u{2029}", "\u{202a}", "€", "😀", "\u{e2}", "\u{80}",
    ]
    for length in 0 ..< 400 {
      var text = String.UnicodeScalarView()
      for _ in 0 ..< length % 40 {
        text.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
      }
      let string = String(text)
      let written = JSONWriter().string(.string(string))
      #expect(written == Self.goQuoted(string), "\(string.debugDescription)")
      #expect(try JSONParser().parse(written) == .string(string))
    }
  }

  @Test("unicode escapes, surrogate pairs and a repeated key (last wins)")
  func strings() throws {
    #expect(try JSONParser().parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
    #expect(try JSONParser().parse(#"{"k": 1, "k": 2}"#) == ["k": 2])
  }

  @Test(
    "malformed input is refused with an offset",
    arguments: [
      "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"unterminated", "[1] 2", "{\"a\":1,}",
      "\"a\u{01}\"",
      "1e999",
    ]
  )
  func malformed(text: String) {
    #expect(throws: JSONParser.Failure.self) { try JSONParser().parse(text) }
  }

  @Test("hostile nesting gets a clear error, never a stack overflow")
  func deepNesting() throws {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(throws: JSONParser.Failure.self) { try JSONParser().parse(deep) }
    let allowed = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
    let value = try JSONParser().parse(allowed)
    #expect(value.depth == 500, "the innermost empty array counts as one level")
    #expect(JSONWriter().string(value).utf8.count == 1000)
  }

  @Test("pretty printing indents like Go's MarshalIndent")
  func indent() throws {
    let value: JSONValue = ["b": [1, 2], "a": [:]]
    #expect(
      JSONWriter(indent: "  ").string(value) == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ]\n}"
    )
  }
}
