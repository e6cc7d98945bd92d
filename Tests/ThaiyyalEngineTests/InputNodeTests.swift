import Testing
import ThaiyyalEngine

/// number, text_input, boolean_input, date_input, datetime_input, visualization, renderer.
@Suite("Input nodes")
struct InputNodeTests {
  static let cases: [EngineCase] = [
    EngineCase(
      name: "constants emit their values, types inferred from their data keys",
      definition: """
        {"nodes": [{"id": "n", "data": {"value": 2.5}}, {"id": "t", "data": {"text": "hi"}},
                   {"id": "b", "data": {"boolean_value": false}}]}
        """,
      nodeResults: ["n": 2.5, "t": "hi", "b": false]
    ),
    EngineCase(
      name: "date and datetime inputs emit their text as written",
      definition: """
        {"nodes": [{"id": "d", "data": {"date_value": "2026-11-29"}},
                   {"id": "dt", "type": "datetime_input", "data": {"datetime_value": "2026-11-29T14:30:00Z"}},
                   {"id": "odd", "type": "date_input", "data": {"date_value": "next tuesday"}}]}
        """,
      nodeResults: ["d": "2026-11-29", "dt": "2026-11-29T14:30:00Z", "odd": "next tuesday"]
    ),
    EngineCase(
      name: "a datetime input feeds the date functions of expressions",
      definition: """
        {"nodes": [{"id": "d", "data": {"datetime_value": "2024-02-28T10:45:00Z"}},
                   {"id": "e", "data": {"expression": "year(input) * 100 + hour(input)"}}],
         "edges": [{"source": "d", "target": "e"}]}
        """,
      finalOutput: 202410
    ),
    EngineCase(
      name: "a date input without its value fails when it runs",
      definition: #"{"nodes": [{"id": "d", "type": "date_input", "data": {}}]}"#,
      error: "error executing node d: date input node missing date value"
    ),
    EngineCase(
      name: "a datetime input without its value fails when it runs",
      definition:
        #"{"nodes": [{"id": "d", "type": "datetime_input", "data": {"datetime_value": null}}]}"#,
      error: "error executing node d: datetime input node missing datetime value"
    ),
    EngineCase(
      name: "visualization passes its input through",
      definition: """
        {"nodes": [{"id": "n", "data": {"value": 7}}, {"id": "v", "data": {"mode": "text"}}],
         "edges": [{"source": "n", "target": "v"}]}
        """,
      finalOutput: 7
    ),
    EngineCase(
      name: "visualization without input fails",
      definition: #"{"nodes": [{"id": "v", "data": {"mode": "text"}}]}"#,
      error: "error executing node v: visualization needs at least 1 input"
    ),
    EngineCase(
      name: "renderer without input is null",
      definition: #"{"nodes": [{"id": "r", "type": "renderer", "data": {}}]}"#,
      nodeResults: ["r": .null]
    ),
  ]

  @Test("input node cases", arguments: cases)
  func inputs(_ testCase: EngineCase) async {
    await testCase.check()
  }

  @Test("a date value of another JSON kind rejects the payload before anything runs")
  func mistypedDate() async {
    let result = await run(#"{"nodes": [{"id": "d", "data": {"date_value": 20261129}}]}"#)
    #expect(result.nodeResults.isEmpty)
    #expect(result.errors.count == 1)
    #expect(
      result.errors.first.map {
        $0.contains("node d (type date_input)")
          && $0.hasSuffix("cannot unmarshal float64 into field date_value of type string")
      } == true
    )
  }
}
