import Testing
import ThaiyyalEngine

@Suite("Expression parser")
struct ExpressionParserTests {
  func parse(_ text: String) throws -> Expression {
    try ExpressionParser().parse(text)
  }

  @Test("precedence: unary over * / % over + - over comparisons over && over ||; left-associative")
  func precedence() throws {
    #expect(
      try parse("1 + 2 * 3")
        == .binary(.add, .number(1), .binary(.multiply, .number(2), .number(3)))
    )
    #expect(
      try parse("10 - 4 - 3")
        == .binary(.subtract, .binary(.subtract, .number(10), .number(4)), .number(3))
    )
    #expect(
      try parse("a > 1 || b < 2 && c")
        == .binary(
          .or,
          .binary(.greater, .name("a"), .number(1)),
          .binary(.and, .binary(.less, .name("b"), .number(2)), .name("c"))
        )
    )
    #expect(try parse("-x * 2") == .binary(.multiply, .unary(.negate, .name("x")), .number(2)))
    #expect(try parse("!(a == b)") == .unary(.not, .binary(.equal, .name("a"), .name("b"))))
  }

  @Test("ternaries nest in either branch")
  func conditional() throws {
    #expect(
      try parse("a ? b ? 1 : 2 : 3")
        == .conditional(.name("a"), .conditional(.name("b"), .number(1), .number(2)), .number(3))
    )
  }

  @Test("paths, indexes, methods, calls, and node ids with dashes")
  func paths() throws {
    #expect(
      try parse("input.a[0].b") == .member(.index(.member(.name("input"), "a"), .number(0)), "b")
    )
    #expect(
      try parse("item.name.toUpperCase()")
        == .method(.member(.name("item"), "name"), "toUpperCase", [])
    )
    #expect(try parse("node.my-node.value") == .member(.member(.name("node"), "my-node"), "value"))
    #expect(
      try parse("max(1, sum(input), 'x')")
        == .call("max", [.number(1), .call("sum", [.name("input")]), .string("x")])
    )
    #expect(
      try parse("input.replace('a', \"b\")")
        == .method(.name("input"), "replace", [.string("a"), .string("b")])
    )
  }

  @Test("a comparison with an empty left side compares against the input")
  func emptyLeft() throws {
    #expect(try parse(">= 18") == .compareWithInput(.greaterOrEqual, .number(18)))
    #expect(try parse("== 'x'") == .compareWithInput(.equal, .string("x")))
  }

  @Test("literals: Go float syntax, both quote styles, true/false/null")
  func literals() throws {
    #expect(try parse("1e14") == .number(1e14))
    #expect(try parse("2.5E-3") == .number(0.0025))
    #expect(try parse(".5") == .number(0.5))
    #expect(
      try parse("'say \"hi\"'") == .string("say \"hi\""),
      "no escapes: the other quote is plain text"
    )
    #expect(throws: ExpressionParser.Failure.self, "two adjacent strings") { try parse("'it''s'") }
    #expect(try parse("null") == .null)
  }

  @Test(
    "malformed and hostile expressions get clear errors",
    arguments: ["", "1 +", "(1", "a ? b", "'open", "a @ b", "1 2", "f(1,", "a.", "1e999"]
  )
  func malformed(text: String) {
    #expect(throws: ExpressionParser.Failure.self) { try ExpressionParser().parse(text) }
  }

  @Test("deep nesting is refused, never a stack overflow")
  func deep() {
    let text = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
    #expect(throws: ExpressionParser.Failure.self) { try ExpressionParser().parse(text) }
    let unary = String(repeating: "!", count: 100_000) + "true"
    #expect(throws: ExpressionParser.Failure.self) { try ExpressionParser().parse(unary) }
    #expect(throws: ExpressionParser.Failure.self) {
      try ExpressionParser().parse(String(repeating: "a", count: 70_000))
    }
  }
}
