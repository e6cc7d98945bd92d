/// Tokenizes and parses expression text into an ``Expression``.
///
/// Hostile input gets a clear error, never a crash: text is capped in length, and the parser
/// counts its own nesting so recursion stays bounded.
public struct ExpressionParser {
  public var maxLength = 64 * 1024
  public var maxDepth = 128

  public init() {}

  /// Why an expression did not parse.
  public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  public func parse(_ text: String) throws(Failure) -> Expression {
    guard text.utf8.count <= maxLength else {
      throw Failure(message: "expression longer than \(maxLength) bytes")
    }
    var state = State(tokens: try Tokenizer.tokens(text), maxDepth: maxDepth)
    guard !state.tokens.isEmpty else { throw Failure(message: "empty expression") }
    let expression: Expression
    if case .symbol(let symbol) = state.tokens[0], let op = BinaryOperator(rawValue: symbol),
      op.isComparison
    {
      state.position = 1
      expression = .compareWithInput(op, try state.parseBinary(minimumPrecedence: 4))
    } else {
      expression = try state.parseConditional()
    }
    guard state.position == state.tokens.count else {
      throw Failure(message: "unexpected \(state.tokens[state.position]) in expression")
    }
    return expression
  }

  fileprivate struct State {
    let tokens: [Token]
    let maxDepth: Int
    var position = 0
    var depth = 0

    init(tokens: [Token], maxDepth: Int) {
      self.tokens = tokens
      self.maxDepth = maxDepth
    }

    var current: Token? { position < tokens.count ? tokens[position] : nil }

    mutating func take(_ symbol: String) -> Bool {
      if case .symbol(symbol)? = current {
        position += 1
        return true
      }
      return false
    }

    mutating func expect(_ symbol: String) throws(Failure) {
      guard take(symbol) else {
        throw Failure(
          message: current.map { "expected '\(symbol)' but found \($0)" }
            ?? "expected '\(symbol)' at the end"
        )
      }
    }

    mutating func enter() throws(Failure) {
      depth += 1
      guard depth <= maxDepth else {
        throw Failure(message: "expression nested deeper than \(maxDepth) levels")
      }
    }

    mutating func parseConditional() throws(Failure) -> Expression {
      try enter()
      defer { depth -= 1 }
      let condition = try parseBinary(minimumPrecedence: 1)
      guard take("?") else { return condition }
      let then = try parseConditional()
      try expect(":")
      let otherwise = try parseConditional()
      return .conditional(condition, then, otherwise)
    }

    /// Precedence climbing over the binary operators, left-associative.
    mutating func parseBinary(minimumPrecedence: Int) throws(Failure) -> Expression {
      try enter()
      defer { depth -= 1 }
      var left = try parseUnary()
      while case .symbol(let symbol)? = current, let op = BinaryOperator(rawValue: symbol),
        op.precedence >= minimumPrecedence
      {
        position += 1
        let right = try parseBinary(minimumPrecedence: op.precedence + 1)
        left = .binary(op, left, right)
      }
      return left
    }

    mutating func parseUnary() throws(Failure) -> Expression {
      try enter()
      defer { depth -= 1 }
      for op in [UnaryOperator.not, .negate, .plus] where take(op.rawValue) {
        return .unary(op, try parseUnary())
      }
      return try parsePostfix(try parsePrimary())
    }

    mutating func parsePrimary() throws(Failure) -> Expression {
      guard let token = current else { throw Failure(message: "unexpected end of expression") }
      position += 1
      switch token {
      case .number(let value): return .number(value)
      case .string(let value): return .string(value)
      case .name("true"): return .bool(true)
      case .name("false"): return .bool(false)
      case .name("null"): return .null
      case .name(let name):
        if take("(") { return .call(name, try parseArguments()) }
        return .name(name)
      case .symbol("("):
        let inner = try parseConditional()
        try expect(")")
        return inner
      case .symbol(let symbol):
        throw Failure(message: "unexpected '\(symbol)' in expression")
      }
    }

    mutating func parsePostfix(_ base: Expression) throws(Failure) -> Expression {
      var expression = base
      while true {
        if take(".") {
          guard case .name(let name)? = current else {
            throw Failure(message: "expected a name after '.'")
          }
          position += 1
          expression =
            take("(") ? .method(expression, name, try parseArguments()) : .member(expression, name)
        } else if take("[") {
          let index = try parseConditional()
          try expect("]")
          expression = .index(expression, index)
        } else {
          return expression
        }
      }
    }

    /// Arguments after `(`, through `)`.
    mutating func parseArguments() throws(Failure) -> [Expression] {
      var arguments: [Expression] = []
      if take(")") { return arguments }
      repeat {
        arguments.append(try parseConditional())
      } while take(",")
      try expect(")")
      return arguments
    }
  }
}

/// A lexical token.
enum Token: Hashable, CustomStringConvertible {
  case number(Double)
  case string(String)
  case name(String)
  case symbol(String)

  var description: String {
    switch self {
    case .number(let value): "number \(GoNumberFormat.text(value))"
    case .string(let value): "string '\(value.prefix(40))'"
    case .name(let value): "name '\(value.prefix(40))'"
    case .symbol(let value): "'\(value)'"
    }
  }
}

enum Tokenizer {
  /// The symbol at `index` (two characters before one: `<=` before `<`), or `nil`.
  static func symbol(_ bytes: [UInt8], at index: Int) -> String? {
    let next = index + 1 < bytes.count ? bytes[index + 1] : 0
    switch bytes[index] {
    case UInt8(ascii: "="): return next == UInt8(ascii: "=") ? "==" : nil
    case UInt8(ascii: "!"): return next == UInt8(ascii: "=") ? "!=" : "!"
    case UInt8(ascii: "<"): return next == UInt8(ascii: "=") ? "<=" : "<"
    case UInt8(ascii: ">"): return next == UInt8(ascii: "=") ? ">=" : ">"
    case UInt8(ascii: "&"): return next == UInt8(ascii: "&") ? "&&" : nil
    case UInt8(ascii: "|"): return next == UInt8(ascii: "|") ? "||" : nil
    case UInt8(ascii: "+"): return "+"
    case UInt8(ascii: "-"): return "-"
    case UInt8(ascii: "*"): return "*"
    case UInt8(ascii: "/"): return "/"
    case UInt8(ascii: "%"): return "%"
    case UInt8(ascii: "("): return "("
    case UInt8(ascii: ")"): return ")"
    case UInt8(ascii: "["): return "["
    case UInt8(ascii: "]"): return "]"
    case UInt8(ascii: "."): return "."
    case UInt8(ascii: ","): return ","
    case UInt8(ascii: "?"): return "?"
    case UInt8(ascii: ":"): return ":"
    default: return nil
    }
  }

  static func tokens(_ text: String) throws(ExpressionParser.Failure) -> [Token] {
    let bytes = Array(text.utf8)
    var tokens: [Token] = []
    var index = 0
    func isNameStart(_ byte: UInt8) -> Bool {
      (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        || byte >= 0x80
    }
    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    while index < bytes.count {
      let byte = bytes[index]
      if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
        index += 1
        continue
      }
      // Node ids after `node.` may contain '-' (ENGINE.md 11.1).
      let afterNodeDot =
        tokens.count >= 2 && tokens[tokens.count - 1] == .symbol(".")
        && tokens[tokens.count - 2] == .name("node")
      if isNameStart(byte) || (afterNodeDot && (isDigit(byte) || byte == 0x2D)) {
        let start = index
        while index < bytes.count,
          isNameStart(bytes[index]) || isDigit(bytes[index])
            || (afterNodeDot && bytes[index] == 0x2D)
        {
          index += 1
        }
        tokens.append(.name(String(decoding: bytes[start ..< index], as: UTF8.self)))
        continue
      }
      if isDigit(byte) || (byte == 0x2E && index + 1 < bytes.count && isDigit(bytes[index + 1])) {
        let start = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        if index < bytes.count, bytes[index] == 0x2E, index + 1 < bytes.count,
          isDigit(bytes[index + 1])
        {
          index += 1
          while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
          var lookahead = index + 1
          if lookahead < bytes.count, bytes[lookahead] == 0x2B || bytes[lookahead] == 0x2D {
            lookahead += 1
          }
          if lookahead < bytes.count, isDigit(bytes[lookahead]) {
            index = lookahead
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
          }
        }
        let literal = String(decoding: bytes[start ..< index], as: UTF8.self)
        guard literal.utf8.count <= 400, let value = Double(literal), value.isFinite else {
          throw ExpressionParser.Failure(message: "number \(literal.prefix(40)) is out of range")
        }
        tokens.append(.number(value))
        continue
      }
      if byte == 0x27 || byte == 0x22 {
        let start = index + 1
        index = start
        while index < bytes.count, bytes[index] != byte { index += 1 }
        guard index < bytes.count else {
          throw ExpressionParser.Failure(message: "unterminated string in expression")
        }
        tokens.append(.string(String(decoding: bytes[start ..< index], as: UTF8.self)))
        index += 1
        continue
      }
      guard let symbol = symbol(bytes, at: index) else {
        throw ExpressionParser.Failure(
          message: "unexpected character '\(String(decoding: [byte], as: UTF8.self))' in expression"
        )
      }
      tokens.append(.symbol(symbol))
      index += symbol.utf8.count
    }
    return tokens
  }
}
