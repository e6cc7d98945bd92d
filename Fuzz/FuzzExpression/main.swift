import FuzzSupport
import ThaiyyalEngine

/// Expression parser and evaluator: the input's first line is the expression, the rest a JSON
/// value (a default array when it is not valid JSON). The expression runs as an expression node,
/// a filter condition and a map expression over that value, under the run's limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpression(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
  let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
  let expression = String(parts[0])
  _ = try? ExpressionParser().parse(expression)
  var input = parts.count > 1 ? String(parts[1]) : ""
  if (try? JSONParser(maxDepth: 64, maxValues: 10_000).parse(input)) == nil {
    input = #"[1, "a", null, {"x": 2.5}]"#
  }
  let quotedExpression = JSONWriter().string(.string(expression))
  let quotedInput = JSONWriter().string(.string(input))
  runBlocking(
    """
    {"nodes": [{"id": "t", "type": "text_input", "data": {"text": \(quotedInput)}},
               {"id": "p", "type": "parse", "data": {"input_type": "JSON"}},
               {"id": "e", "type": "expression", "data": {"expression": \(quotedExpression)}},
               {"id": "f", "type": "filter", "data": {"condition": \(quotedExpression)}},
               {"id": "m", "type": "map", "data": {"expression": \(quotedExpression)}}],
     "edges": [{"source": "t", "target": "p"}, {"source": "p", "target": "e"},
               {"source": "p", "target": "f"}, {"source": "p", "target": "m"}]}
    """
  )
  return 0
}
