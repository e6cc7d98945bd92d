import Testing
import ThaiyyalEngine

/// for_each, try_catch, retry, timeout, delay, cache, context nodes; Go durations.
@Suite("Control nodes")
struct ControlNodeTests {
  /// A reverse of a number: the non-array marker object, an input that "is an error".
  static let marker = #"{"id": "a", "data": {"value": 3}}, {"id": "m", "type": "reverse"}"#
  static let markerEdge = #"{"source": "a", "target": "m"}"#

  static let cases: [EngineCase] = [
    EngineCase(
      name: "try_catch replaces an error with the fallback when told to continue",
      definition: """
        {"nodes": [\(marker), {"id": "t", "data": {"fallback_value": 0, "continue_on_error": true}}],
         "edges": [\(markerEdge), {"source": "m", "target": "t"}]}
        """,
      finalOutput: ["value": 0, "error_caught": true, "error_message": "input is not an array"]
    ),
    EngineCase(
      name: "try_catch catches an upstream error result by default, and the run goes on",
      definition: """
        {"nodes": [\(marker), {"id": "t", "data": {"fallback_value": 7}},
                   {"id": "x", "data": {"expression": "input.value * 2"}}],
         "edges": [\(markerEdge), {"source": "m", "target": "t"}, {"source": "t", "target": "x"}]}
        """,
      finalOutput: 14
    ),
    EngineCase(
      name: "try_catch with continue_on_error false fails with the caught error",
      definition: """
        {"nodes": [\(marker), {"id": "t", "data": {"fallback_value": 0, "continue_on_error": false}}],
         "edges": [\(markerEdge), {"source": "m", "target": "t"}]}
        """,
      error: "error executing node t: error caught: input is not an array"
    ),
    EngineCase(
      name: "try_catch reports a non-empty error_output_path, and leaves out an empty one",
      definition: """
        {"nodes": [\(marker), {"id": "t", "type": "try_catch", "data": {"error_output_path": "errors"}},
                   {"id": "a2", "data": {"value": 4}}, {"id": "m2", "type": "reverse"},
                   {"id": "u", "type": "try_catch", "data": {"error_output_path": ""}},
                   {"id": "j", "type": "join", "data": {"join_strategy": "all"}}],
         "edges": [\(markerEdge), {"source": "m", "target": "t"}, {"source": "a2", "target": "m2"},
                   {"source": "m2", "target": "u"}, {"source": "t", "target": "j"}, {"source": "u", "target": "j"}]}
        """,
      finalOutput: [
        "strategy": "all", "count": 2,
        "values": [
          [
            "value": .null, "error_caught": true, "error_message": "input is not an array",
            "error_output_path": "errors",
          ],
          ["value": .null, "error_caught": true, "error_message": "input is not an array"],
        ],
      ]
    ),
    EngineCase(
      name: "try_catch without an input fails",
      definition: #"{"nodes": [{"id": "t", "type": "try_catch", "data": {}}]}"#,
      error: "error executing node t: try-catch node requires at least one input"
    ),
    EngineCase(
      name: "retry without an input fails",
      definition: #"{"nodes": [{"id": "r", "type": "retry", "data": {}}]}"#,
      error: "error executing node r: retry node requires at least one input"
    ),
    EngineCase(
      name: "timeout without an input fails",
      definition: #"{"nodes": [{"id": "t", "type": "timeout", "data": {"timeout": "1s"}}]}"#,
      error: "error executing node t: timeout node requires at least one input"
    ),
    EngineCase(
      name: "a timed-out input fails with how long it took and the limit",
      definition: """
        {"nodes": [{"id": "s", "data": {"text": "{\\"execution_time\\": \\"2s\\"}"}}, {"id": "p", "type": "parse", "data": {"input_type": "json"}},
                   {"id": "t", "type": "timeout", "data": {"timeout": "1500ms"}}],
         "edges": [{"source": "s", "target": "p"}, {"source": "p", "target": "t"}]}
        """,
      error: "error executing node t: operation timed out after 2s (limit: 1.5s)"
    ),
    EngineCase(
      name: "a timed-out input with any other timeout_action, even an empty one, continues",
      definition: """
        {"nodes": [{"id": "s", "data": {"text": "{\\"execution_time\\": \\"2s\\"}"}}, {"id": "p", "type": "parse", "data": {"input_type": "json"}},
                   {"id": "t", "type": "timeout", "data": {"timeout": "1s", "timeout_action": ""}}],
         "edges": [{"source": "s", "target": "p"}, {"source": "p", "target": "t"}]}
        """,
      finalOutput: [
        "value": ["execution_time": "2s"], "timeout_duration": "1s", "execution_time": "2s",
        "timed_out": true, "timeout_exceeded": true, "partial_result": true,
      ]
    ),
    EngineCase(
      name: "retry of an error whose text is not a string reports an empty message",
      definition: """
        {"nodes": [{"id": "s", "data": {"text": "{\\"error\\": 5}"}}, {"id": "p", "type": "parse", "data": {"input_type": "json"}},
                   {"id": "r", "type": "retry", "data": {}}],
         "edges": [{"source": "s", "target": "p"}, {"source": "p", "target": "r"}]}
        """,
      error: "error executing node r: max retry attempts (3) reached: "
    ),
    EngineCase(
      name: "a negative delay does not wait",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "d", "data": {"duration": "-5s"}}],
         "edges": [{"source": "a", "target": "d"}]}
        """,
      finalOutput: ["value": 1, "duration": "-5s", "delayed": true]
    ),
    EngineCase(
      name: "an unparsable delay fails with the original's message",
      definition: #"{"nodes": [{"id": "d", "data": {"duration": "soon"}}]}"#,
      error:
        "error executing node d: invalid duration format: invalid duration format: soon (use formats like '5s', '10m', '1h')"
    ),
    EngineCase(
      name: "try_catch passes a good value through",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 3}}, {"id": "t", "data": {"fallback_value": 0}}],
         "edges": [{"source": "a", "target": "t"}]}
        """,
      finalOutput: ["value": 3, "error_caught": false]
    ),
    EngineCase(
      name: "retry of an error fails after its attempts, and max_attempts 0 counts as 1",
      definition: """
        {"nodes": [\(marker), {"id": "r", "data": {"max_attempts": 0}}], "edges": [\(markerEdge), {"source": "m", "target": "r"}]}
        """,
      error: "error executing node r: max retry attempts (1) reached: input is not an array"
    ),
    EngineCase(
      name: "retry only retries listed errors",
      definition: """
        {"nodes": [\(marker), {"id": "r", "type": "retry", "data": {"retry_on_errors": ["timeout"]}}],
         "edges": [\(markerEdge), {"source": "m", "target": "r"}]}
        """,
      error: "error executing node r: error not in retry list: input is not an array"
    ),
    EngineCase(
      name: "timeout reports durations the Go way",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "t", "type": "timeout", "data": {"timeout": "90s"}}],
         "edges": [{"source": "a", "target": "t"}]}
        """,
      finalOutput: [
        "value": 1, "timeout_duration": "1m30s", "execution_time": "0s", "timed_out": false,
      ]
    ),
    EngineCase(
      name: "an unparsable timeout fails",
      definition: #"{"nodes": [{"id": "t", "type": "timeout", "data": {"timeout": "soon"}}]}"#,
      error: "error executing node t: invalid timeout duration: soon"
    ),
    EngineCase(
      name: "cache set then get within the run; delete reports without deleting",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 5}}, {"id": "s", "data": {"cache_op": "set", "cache_key": "k"}},
                   {"id": "d", "data": {"cache_op": "delete", "cache_key": "k"}}, {"id": "g", "data": {"cache_op": "get", "cache_key": "k"}}],
         "edges": [{"source": "a", "target": "s"}, {"source": "s", "target": "d"}, {"source": "d", "target": "g"}]}
        """,
      finalOutput: ["operation": "get", "key": "k", "found": true, "value": 5]
    ),
    EngineCase(
      name: "context values convert by type",
      definition: """
        {"nodes": [{"id": "c", "type": "context_variable", "data": {"context_values": [
          {"name": "n", "value": "2.5", "type": "number"}, {"name": "b", "value": "T", "type": "boolean"},
          {"name": "s", "value": 1000000, "type": "string"}, {"name": "t", "value": 86400, "type": "epoch_second"},
          {"name": "z", "value": "x", "type": "null"}]}}]}
        """,
      finalOutput: [
        "type": "variable",
        "variables": ["n": 2.5, "b": true, "s": "1e+06", "t": "1970-01-02T00:00:00Z", "z": .null],
      ]
    ),
    EngineCase(
      name: "a failed context conversion names the value",
      definition: """
        {"nodes": [{"id": "c", "type": "context_constant", "data": {"context_values": [{"name": "when", "value": "yesterday", "type": "time_string"}]}}]}
        """,
      error:
        "error executing node c: context_constant node: error converting when (time_string): value must be an RFC 3339 time"
    ),
    EngineCase(
      name: "for_each counts within its limit",
      definition: """
        {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 3}}, {"id": "x", "data": {"field": "range"}},
                   {"id": "v", "type": "transform", "data": {"transform_type": "values"}},
                   {"id": "f", "type": "for_each", "data": {"max_iterations": 1}}],
         "edges": [{"source": "r", "target": "x"}, {"source": "x", "target": "v"}, {"source": "v", "target": "f"}]}
        """,
      error: "error executing node f: for_each exceeds max iterations: 2 > 1"
    ),
  ]

  @Test("table cases", arguments: cases)
  func table(_ engineCase: EngineCase) async {
    await engineCase.check()
  }

  @Test("huge numbers where integers are needed give errors, never a crash")
  func hugeNumbers() async {
    let epoch = await run(
      #"{"nodes": [{"id": "c", "type": "context_variable", "data": {"context_values": [{"name": "t", "value": 1e300, "type": "epoch_second"}]}}]}"#
    )
    #expect(epoch.errors.first?.contains("out of range") == true)
    let repeated = await run(
      #"{"nodes": [{"id": "t", "data": {"text": "x"}}, {"id": "r", "data": {"text_op": "repeat", "repeat_n": 1e300}}], "edges": [{"source": "t", "target": "r"}]}"#
    )
    #expect(repeated.errors.first?.contains("more than") == true)
  }

  @Test("delay waits no longer than the cap, and reports the duration as given")
  func delay() async {
    var limits = EngineLimits()
    limits.maxDelay = .milliseconds(20)
    let start = ContinuousClock.now
    let result = await run(
      #"{"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "d", "data": {"duration": "1h"}}], "edges": [{"source": "a", "target": "d"}]}"#,
      limits: limits
    )
    #expect(ContinuousClock.now - start < .seconds(30))
    #expect(result.finalOutput == ["value": 1, "duration": "1h", "delayed": true])
  }

  @Test(
    "Go durations parse and print like Go's",
    arguments: [
      ("5s", "5s"), ("90s", "1m30s"), ("1h30m", "1h30m0s"), ("1.5ms", "1.5ms"), ("300ms", "300ms"),
      ("2µs", "2µs"),
      ("0", "0s"), ("1m", "1m0s"),
    ]
  )
  func durations(text: String, printed: String) throws {
    let nanoseconds = try #require(GoDuration.parse(text))
    #expect(GoDuration.format(nanoseconds: nanoseconds) == printed)
  }

  @Test("bad durations are refused; a bare integer means milliseconds where the original allows it")
  func badDurations() {
    for text in ["", "5", "s", "1x", "--1s", ".s"] {
      #expect(GoDuration.parse(text) == nil, "\(text)")
    }
    #expect(GoDuration.parseOrMilliseconds("250") == 250_000_000)
  }
}
