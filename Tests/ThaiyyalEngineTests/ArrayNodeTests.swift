import Testing
import ThaiyyalEngine

/// range, slice, reverse, compact.
@Suite("Array nodes")
struct ArrayNodeTests {
  /// `["range", 1, 2, 3, 4, 5]` (range → extract → values → flatten) fed into `node`.
  static func pipeline(_ node: String) -> String {
    """
    {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 5}}, {"id": "x", "data": {"field": "range"}},
               {"id": "v", "type": "transform", "data": {"transform_type": "values"}},
               {"id": "f", "data": {"transform_type": "flatten"}}, \(node)],
     "edges": [{"source": "r", "target": "x"}, {"source": "x", "target": "v"}, {"source": "v", "target": "f"},
               {"source": "f", "target": "n"}]}
    """
  }

  static let cases: [EngineCase] = [
    EngineCase(
      name: "range is inclusive of its end",
      definition:
        #"{"nodes": [{"id": "r", "type": "range", "data": {"start": 0, "end": 1, "step": 0.5}}]}"#,
      finalOutput: ["range": [0, 0.5, 1], "count": 3, "start": 0, "end": 1, "step": 0.5]
    ),
    EngineCase(
      name: "range step 0 fails",
      definition:
        #"{"nodes": [{"id": "r", "type": "range", "data": {"start": 0, "end": 1, "step": 0}}]}"#,
      error: "error executing node r: range step cannot be 0"
    ),
    EngineCase(
      name: "range of 10,000 items or more fails",
      definition: #"{"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 10000}}]}"#,
      error:
        "error executing node r: range would generate more than 10000 items, adjust start/end/step"
    ),
    EngineCase(
      name: "slice with negative start counts from the end",
      definition: pipeline(#"{"id": "n", "type": "slice", "data": {"start": -2}}"#),
      finalOutput: ["sliced": [4, 5], "input_count": 6, "output_count": 2, "start": 4, "end": 6]
    ),
    EngineCase(
      name: "slice by length, clamped",
      definition: pipeline(#"{"id": "n", "type": "slice", "data": {"start": 3, "length": 10}}"#),
      finalOutput: [
        "sliced": [3, 4, 5], "input_count": 6, "output_count": 3, "start": 3, "end": 6,
      ]
    ),
    EngineCase(
      name: "reverse",
      definition: pipeline(#"{"id": "n", "type": "reverse"}"#),
      finalOutput: ["reversed": [5, 4, 3, 2, 1, "range"], "count": 6]
    ),
    EngineCase(
      name: "compact drops nulls, and empty strings when asked",
      definition: """
        {"nodes": [{"id": "a", "data": {"text": ""}}, {"id": "b", "type": "renderer"}, {"id": "c", "data": {"value": 1}},
                   {"id": "arr", "data": {"transform_type": "to_array"}}, {"id": "n", "type": "compact", "data": {"remove_empty": true}}],
         "edges": [{"source": "a", "target": "arr"}, {"source": "b", "target": "arr"}, {"source": "c", "target": "arr"},
                   {"source": "arr", "target": "n"}]}
        """,
      finalOutput: ["compacted": [1], "input_count": 3, "output_count": 1, "removed": 2]
    ),
    EngineCase(
      name: "array nodes answer a non-array with the marker object, not an error",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 3}}, {"id": "n", "type": "reverse"}], "edges": [{"source": "a", "target": "n"}]}
        """,
      finalOutput: ["error": "input is not an array", "input": 3, "original_type": "float64"]
    ),
  ]

  @Test("table cases", arguments: cases)
  func table(_ engineCase: EngineCase) async {
    await engineCase.check()
  }
}
