import Testing

@testable import ThaiyyalEngine

/// Workflows written to hurt the server (issue 11, findings 1 and 2): each must fail by its own
/// run's limit, with a clear error, instead of exhausting memory or holding a CPU.
@Suite("Hostile workflows")
struct HostileWorkflowTests {
  /// A text node, a repeat of it, and whatever nodes follow, as a workflow document.
  static func repeated(
    _ text: String,
    times: Int,
    then nodes: String = "",
    edges: String = ""
  ) -> String {
    """
    {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "\(text)"}},
               {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": \(times)}}\(nodes)],
     "edges": [{"source": "t", "target": "r"}\(edges)]}
    """
  }

  @Test("a replace that would build a terabyte fails by the value limit before allocating")
  func replaceBomb() async {
    // The 323-byte workflow of finding 1: 2^20 'a's, each replaced by the whole text.
    let result = await run(
      Self.repeated(
        "a",
        times: 1 << 20,
        then:
          #", {"id": "x", "type": "expression", "data": {"expression": "input.replace('a', input)"}}"#,
        edges: #", {"source": "r", "target": "x"}"#
      )
    )
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.hasPrefix("error executing node x: value too large") == true)
    #expect(result.nodeResults["x"] == nil)
  }

  @Test("a concat of many edges from one large text is sized before it is built")
  func concatOfDuplicateEdges() async {
    var limits = EngineLimits()
    limits.maxValueBytes = 4 << 20
    let edges = String(repeating: #", {"source": "r", "target": "c"}"#, count: 64)
    let result = await run(
      Self.repeated(
        "a",
        times: 1 << 20,
        then: #", {"id": "c", "type": "text_operation", "data": {"text_op": "concat"}}"#,
        edges: edges
      ),
      limits: limits
    )
    #expect(
      result.errors == [
        "error executing node c: value too large: 67108864 bytes (limit: 4194304 bytes per value)"
      ]
    )
  }

  @Test("repeat is bounded by the plan's value limit")
  func repeatBoundedByValueLimit() async {
    var limits = EngineLimits()
    limits.maxValueBytes = 1000
    let refused = await run(Self.repeated("ab", times: 501), limits: limits)
    #expect(refused.errors == ["error executing node r: repeat would produce more than 1000 bytes"])
    let allowed = await run(Self.repeated("ab", times: 400), limits: limits)
    #expect(allowed.errors.isEmpty)
  }

  @Test("trim, includes, split and replace are linear: megabytes of spaces finish in time")
  func linearStringFunctions() async {
    // Finding 2: '1' plus 70,000 spaces took tens of seconds to trim. Two MiB of spaces must
    // finish far inside a generous limit (a quadratic trim would need hours).
    var limits = EngineLimits()
    limits.maxExecutionTime = .seconds(120)
    let expressions = [
      "input.trim().length", "input.includes(' 1')", "input.split(' 1').length",
      "input.replace('  ', ' ').length",
    ]
    let nodes = expressions.enumerated().map { index, text in
      #"{"id": "x\#(index)", "type": "expression", "data": {"expression": "\#(text)"}}"#
    }
    let edges = expressions.indices.map { #"{"source": "c", "target": "x\#($0)"}"# }
    let result = await run(
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": " "}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": \(2 << 20)}},
                 {"id": "one", "type": "text_input", "data": {"text": "1"}},
                 {"id": "c", "type": "text_operation", "data": {"text_op": "concat"}},
                 \(nodes.joined(separator: ","))],
       "edges": [{"source": "one", "target": "c"}, {"source": "t", "target": "r"},
                 {"source": "r", "target": "c"}, \(edges.joined(separator: ","))]}
      """,
      limits: limits
    )
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.nodeResults["x0"] == 1)
    #expect(result.nodeResults["x1"] == false)
    #expect(result.nodeResults["x2"] == 1)
    #expect(result.nodeResults["x3"] == .number(Double((1 << 20) + 1)))
  }

  @Test("an over-long expression is refused by its length, before any quadratic work")
  func overLongExpression() async {
    // Finding 2: 65,537 bytes, mostly spaces, took 24 s of CPU before being refused.
    let text = "1" + String(repeating: " ", count: 65_536)
    let result = await run(
      """
      {"nodes": [{"id": "n", "type": "number", "data": {"value": 1}},
                 {"id": "x", "type": "expression", "data": {"expression": "\(text)"}}],
       "edges": [{"source": "n", "target": "x"}]}
      """
    )
    #expect(
      result.errors == [
        "error executing node x: expression evaluation failed: expression longer than 65536 bytes"
      ]
    )
  }

  @Test("the time limit reaches inside a node's loop, not only node boundaries")
  func deadlineInsideMap() async {
    var limits = EngineLimits()
    limits.maxExecutionTime = .milliseconds(300)
    let start = ContinuousClock.now
    // 9,999 items, each scanning a mebibyte: minutes of work if nothing stops it inside the
    // filter.
    let result = await run(
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": \(1 << 20)}},
                 {"id": "n", "type": "range", "data": {"start": 0, "end": 9998}},
                 {"id": "m", "type": "filter", "data": {"condition": "node.r.includes('b')"}}],
       "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"},
                 {"source": "n", "target": "m"}]}
      """,
      limits: limits
    )
    #expect(result.timedOut)
    // Without checks inside the loop the filter runs all its items (minutes) before the run
    // stops; the bound is a hundred times the limit, so only that failure can trip it.
    #expect(ContinuousClock.now - start < .seconds(30))
    #expect(result.errors == ["error executing node m: context deadline exceeded"])
  }

  @Test("a time limit hit inside the last node, whose error the node swallows, fails the run")
  func swallowedDeadlineInLastNode() async {
    var limits = EngineLimits()
    limits.maxExecutionTime = .milliseconds(200)
    // An expression node reads a failed evaluation as a condition (false) and completes.
    let result = await run(
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": \(1 << 20)}},
                 {"id": "n", "type": "range", "data": {"start": 0, "end": 9998}},
                 {"id": "x", "type": "expression", "data": {"expression": "map(input.range, node.r.includes('b'))"}}],
       "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"},
                 {"source": "n", "target": "x"}]}
      """,
      limits: limits
    )
    #expect(result.errors == ["context deadline exceeded"])
    #expect(result.timedOut)
    #expect(result.finalOutput == nil)
  }

  @Test("a budget error a node swallows still fails the run")
  func swallowedBudgetErrorFailsTheRun() async {
    var limits = EngineLimits()
    limits.maxValueBytes = 1 << 16
    // A filter treats a failing condition as false; the value limit must still end the run.
    let hostile = await run(
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 60000}},
                 {"id": "n", "type": "range", "data": {"start": 0, "end": 3}},
                 {"id": "f", "type": "filter", "data": {"condition": "node.r.replace('a', 'aa').length > 0"}},
                 {"id": "after", "type": "number", "data": {"value": 1}}],
       "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"},
                 {"source": "n", "target": "f"}, {"source": "f", "target": "after"}]}
      """,
      limits: limits
    )
    #expect(hostile.errors.first?.hasPrefix("error executing node f: value too large") == true)
    #expect(hostile.nodeResults["after"] == nil)
  }

  @Test("values that share one large part many times are measured at their written size")
  func exponentialSharing() async {
    // Each join holds its input twice: 40 joins would write 2^40 copies of the text.
    var nodes = [#"{"id": "j0", "type": "text_input", "data": {"text": "a word is enough"}}"#]
    var edges: [String] = []
    for level in 1 ... 40 {
      nodes.append(#"{"id": "j\#(level)", "type": "join", "data": {"join_strategy": "all"}}"#)
      edges.append(#"{"source": "j\#(level - 1)", "target": "j\#(level)"}"#)
      edges.append(#"{"source": "j\#(level - 1)", "target": "j\#(level)"}"#)
    }
    let result = await run(
      #"{"nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))]}"#
    )
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.contains("value too large") == true, "\(result.errors)")
  }

  @Test("a split to many paths of a large value is refused")
  func splitToManyPaths() async {
    var limits = EngineLimits()
    limits.maxValueBytes = 4 << 20
    let paths = (0 ..< 200).map { "\"p\($0)\"" }.joined(separator: ",")
    let result = await run(
      Self.repeated(
        "a",
        times: 1 << 20,
        then: #", {"id": "s", "type": "split", "data": {"paths": [\#(paths)]}}"#,
        edges: #", {"source": "r", "target": "s"}"#
      ),
      limits: limits
    )
    #expect(result.errors.first?.hasPrefix("error executing node s: value too large") == true)
  }

  @Test("the run's memory budget adds up what every node builds")
  func runMemoryBudget() async {
    var limits = EngineLimits()
    limits.maxRunBytes = 8 << 20
    var nodes = [#"{"id": "t", "type": "text_input", "data": {"text": "a"}}"#]
    var edges: [String] = []
    for index in 0 ..< 20 {
      nodes.append(
        #"{"id": "r\#(index)", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": \#(1 << 20)}}"#
      )
      edges.append(#"{"source": "t", "target": "r\#(index)"}"#)
    }
    let result = await WorkflowEngine(limits: limits, branchConcurrency: .off).runOffPool(
      definition:
        #"{"nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))]}"#
    )
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.contains("run memory budget exceeded") == true, "\(result.errors)")
    // Seven mebibyte strings fit in eight; the eighth does not.
    #expect(result.nodeResults.count == 8)
  }

  @Test("parsing text that would make millions of values is refused")
  func parseBomb() async {
    var limits = EngineLimits()
    limits.maxValueBytes = 1 << 20
    // 600 kB of `[],` fits the value limit as text; parsed, it would be 200,000 arrays.
    let result = await run(
      Self.repeated(
        "[],",
        times: 200_000,
        then: """
          , {"id": "open", "type": "text_input", "data": {"text": "["}},
            {"id": "close", "type": "text_input", "data": {"text": "[]]"}},
            {"id": "c", "type": "text_operation", "data": {"text_op": "concat"}},
            {"id": "p", "type": "parse", "data": {"input_type": "JSON"}}
          """,
        edges: """
          , {"source": "open", "target": "c"}, {"source": "r", "target": "c"},
            {"source": "close", "target": "c"}, {"source": "c", "target": "p"}
          """
      ),
      limits: limits
    )
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.hasPrefix("error executing node p: invalid JSON") == true)
    #expect(result.errors.first?.contains("more than 32768 values") == true, "\(result.errors)")
  }

  @Test("a sparse CSV table is sized before it is written")
  func sparseTable() async {
    var limits = EngineLimits()
    limits.maxValueBytes = 1 << 20
    // 2,000 objects with a key each make 2,000 rows of 2,000 columns: 4 MB from 30 kB.
    let objects = (0 ..< 2000).map { #"{\"k\#($0)\": 1}"# }.joined(separator: ",")
    let result = await run(
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "[\(objects)]"}},
                 {"id": "p", "type": "parse", "data": {"input_type": "JSON"}},
                 {"id": "f", "type": "format", "data": {"output_type": "CSV"}}],
       "edges": [{"source": "t", "target": "p"}, {"source": "p", "target": "f"}]}
      """,
      limits: limits
    )
    #expect(
      result.errors.first?.hasPrefix("error executing node f: value too large") == true,
      "\(result.errors)"
    )
  }
}

@Suite("Byte text")
struct ByteTextTests {
  @Test("matches are non-overlapping, left to right, as Go's strings package")
  func goSemantics() {
    #expect(ByteText.split("aaa", by: "aa") == ["", "a"])
    #expect(ByteText.split("a,b,,c", by: ",") == ["a", "b", "", "c"])
    #expect(ByteText.replacing("aa", with: "b", in: "aaaaa") == "bba")
    #expect(ByteText.count(of: "aba", in: "ababababa") == 2)
    #expect(ByteText.contains("héllo wörld", "ö"))
    #expect(!ByteText.contains("abc", "abcd"))
    #expect(ByteText.contains("abc", ""))
    #expect(ByteText.replacing("é", with: "e", in: "café é") == "cafe e")
  }

  @Test("a pattern with a long partial match stays linear and correct")
  func partialMatches() {
    let text = String(repeating: "a", count: 100_000) + "b"
    let pattern = String(repeating: "a", count: 50_000) + "b"
    #expect(ByteText.contains(text, pattern))
    #expect(ByteText.count(of: pattern, in: text) == 1)
  }

  @Test("trim removes Unicode white space from both ends only")
  func trim() {
    #expect(" \t\n 1 2 \u{00A0}\u{2003}".trimmingWhitespace() == "1 2")
    #expect("   ".trimmingWhitespace() == "")
    #expect("x".trimmingWhitespace() == "x")
  }
}
