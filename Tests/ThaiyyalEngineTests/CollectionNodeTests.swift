import Testing
import ThaiyyalEngine

/// sort, unique, while_loop, format.
@Suite("Collection nodes")
struct CollectionNodeTests {
  @Test("sort orders numbers, strings, nulls and booleans; stable; desc reverses")
  func sort() async {
    let result = await run(
      """
      {"nodes": [{"id": "t", "data": {"text": "b,a,c"}}, {"id": "x", "data": {"expression": "input.split(',')"}},
                 {"id": "n", "type": "sort", "data": {"order": "DESC"}}, {"id": "m", "type": "sort"}],
       "edges": [{"source": "t", "target": "x"}, {"source": "x", "target": "n"}, {"source": "x", "target": "m"}]}
      """
    )
    #expect(
      result.nodeResults["n"] == [
        "sorted": ["c", "b", "a"], "count": 3, "field": "", "order": "desc",
      ]
    )
    #expect(result.nodeResults["m"]?["sorted"] == ["a", "b", "c"])
  }

  @Test("unique keeps first occurrences by their text")
  func unique() async {
    let result = await run(
      """
      {"nodes": [{"id": "t", "data": {"text": "a,b,a,1,1.0"}}, {"id": "x", "data": {"expression": "input.split(',')"}},
                 {"id": "n", "type": "unique"}],
       "edges": [{"source": "t", "target": "x"}, {"source": "x", "target": "n"}]}
      """
    )
    #expect(
      result.finalOutput == [
        "unique": ["a", "b", "1", "1.0"], "input_count": 5, "output_count": 4, "removed": 1,
      ]
    )
  }

  @Test("while_loop reads only legacy comparisons and never changes its value")
  func whileLoop() async {
    let falseAtStart = await run(
      #"{"nodes": [{"id": "a", "data": {"value": 3}}, {"id": "w", "type": "while_loop", "data": {"condition": ">5"}}], "edges": [{"source": "a", "target": "w"}]}"#
    )
    #expect(falseAtStart.finalOutput == ["final_value": 3, "iterations": 0, "condition": ">5"])
    let trueAtStart = await run(
      #"{"nodes": [{"id": "a", "data": {"value": 9}}, {"id": "w", "type": "while_loop", "data": {"condition": ">5", "max_iterations": 7}}], "edges": [{"source": "a", "target": "w"}]}"#
    )
    #expect(trueAtStart.errors == ["error executing node w: while_loop exceeded max iterations: 7"])
    let expressionSyntax = await run(
      #"{"nodes": [{"id": "a", "data": {"value": 3}}, {"id": "w", "type": "while_loop", "data": {"condition": "input < 10"}}], "edges": [{"source": "a", "target": "w"}]}"#
    )
    #expect(
      expressionSyntax.finalOutput?["iterations"] == 0,
      "expression syntax is not understood here"
    )
  }

  @Test("format as JSON and CSV")
  func format() async {
    let result = await run(
      """
      {"nodes": [{"id": "c", "type": "context_constant", "data": {"context_values": [
                   {"name": "a", "value": "x,y", "type": "string"}, {"name": "b", "value": 2, "type": "number"}]}},
                 {"id": "x", "data": {"expression": "input.constants"}},
                 {"id": "j", "type": "format", "data": {"output_type": "json"}}, {"id": "v", "type": "format", "data": {"output_type": "csv"}}],
       "edges": [{"source": "c", "target": "x"}, {"source": "x", "target": "j"}, {"source": "x", "target": "v"}]}
      """
    )
    #expect(result.nodeResults["j"] == #"{"a":"x,y","b":2}"#)
    #expect(result.nodeResults["v"] == "a,b\n\"x,y\",2\n")
  }
}
