import Testing

@testable import ThaiyyalEngine

/// Expressions are parsed once per decoded workflow, not per run or per item.
@Suite("Expression cache")
struct ExpressionCacheTests {
  @Test("runs of one decoded workflow share its parsed expressions")
  func sharedAcrossRuns() async throws {
    let workflow = try WorkflowDecoder().decode(
      """
      {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 50}},
                 {"id": "f", "type": "filter", "data": {"condition": "item % 2 == 0"}},
                 {"id": "x", "data": {"expression": "input.filtered"}},
                 {"id": "m", "type": "map", "data": {"expression": "item * 3"}}],
       "edges": [{"source": "r", "target": "f"}, {"source": "f", "target": "x"}, {"source": "x", "target": "m"}]}
      """
    )
    let cache = try #require(workflow.plan?.expressions)
    #expect(cache.count == 0)
    let first = await WorkflowEngine().run(workflow)
    #expect(first.errors.isEmpty)
    // Three texts, each parsed once although the filter and the map evaluate theirs per item.
    #expect(cache.count == 3)
    let second = await WorkflowEngine().run(workflow)
    #expect(second.finalOutput == first.finalOutput)
    #expect(cache.count == 3)
  }

  @Test("a failing text is cached as its failure, and the cache is bounded")
  func failuresAndBound() throws {
    let cache = ExpressionCache()
    #expect(throws: ExpressionParser.Failure.self) { try cache.expression("1 +") }
    #expect(throws: ExpressionParser.Failure.self) { try cache.expression("1 +") }
    #expect(cache.count == 1)
    for index in 0 ..< ExpressionCache.maxEntries + 10 { _ = try cache.expression("\(index) + 1") }
    #expect(cache.count == ExpressionCache.maxEntries)
    #expect(try cache.expression("99999 + 1") == cache.expression("99999 + 1"))
  }
}

/// The tokenizer's symbols: two characters before one, and a lone `=`, `&` or `|` refused.
@Suite("Expression tokens")
struct TokenizerTests {
  @Test("every symbol, the two-character ones first")
  func symbols() throws {
    let tokens = try Tokenizer.tokens("a<=b<c>=d>e==f!=g&&h||!i+-*/%()[].,?:")
    let symbols = tokens.compactMap { token -> String? in
      if case .symbol(let symbol) = token { symbol } else { nil }
    }
    #expect(
      symbols == [
        "<=", "<", ">=", ">", "==", "!=", "&&", "||", "!", "+", "-", "*", "/", "%", "(", ")", "[",
        "]", ".", ",", "?", ":",
      ]
    )
    for lone in ["a = b", "a & b", "a | b", "a # b"] {
      #expect(throws: ExpressionParser.Failure.self) { try Tokenizer.tokens(lone) }
    }
  }
}
