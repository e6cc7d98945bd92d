import Testing
import ThaiyyalEngine

/// Date functions in expressions: times are RFC 3339 strings in UTC (the original crashes on these
/// in expression nodes, so there is nothing to match; see docs/engine-compatibility.md).
@Suite("Date functions")
struct DateFunctionTests {
  func evaluate(_ expression: String) async -> ExecutionResult {
    await run(
      """
      {"nodes": [{"id": "a", "data": {"value": 0}}, {"id": "e", "data": {"expression": \(JSONWriter().string(.string(expression)))}}],
       "edges": [{"source": "a", "target": "e"}]}
      """
    )
  }

  @Test(
    "conversions, arithmetic on times and their parts",
    arguments: [
      ("fromEpoch(86400)", JSONValue.string("1970-01-02T00:00:00Z")),
      ("fromEpochMillis(1500)", "1970-01-01T00:00:01.5Z"),
      ("toEpoch('2026-11-29T12:00:00+01:00')", 1_795_950_000),
      ("toEpochMillis('1970-01-01T00:00:02.25Z')", 2250),
      ("parseDate('2026-02-28T23:30:00-01:00')", "2026-03-01T00:30:00Z"),
      ("dateDiff('2026-01-01T00:00:00Z', '2026-01-03T12:00:00Z', 'days')", 2.5),
      ("dateAdd('2024-02-28T00:00:00Z', 1, 'days')", "2024-02-29T00:00:00Z"),
      ("year('2026-11-29T12:34:56Z') * 100 + month('2026-11-29T12:34:56Z')", 202_611),
      ("day(fromEpoch(0)) + hour('2026-11-29T12:34:56Z') + minute('2026-11-29T12:34:56Z')", 47),
    ]
  )
  func dates(expression: String, expected: JSONValue) async {
    let result = await evaluate(expression)
    #expect(result.errors.isEmpty, "\(expression): \(result.errors)")
    #expect(result.finalOutput == expected, "\(expression)")
  }

  @Test("now() is a valid time, and bad times read as false")
  func nowAndBadTimes() async {
    let now = await evaluate("now()")
    #expect(now.finalOutput?.stringValue?.hasSuffix("Z") == true)
    #expect(await evaluate("toEpoch('yesterday')").finalOutput == false)
    #expect(await evaluate("fromEpoch(1e300)").finalOutput == false)
  }
}
