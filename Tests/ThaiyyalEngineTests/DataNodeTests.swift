import Testing
import ThaiyyalEngine

/// extract, transform, join, split.
@Suite("Data nodes")
struct DataNodeTests {
  static let cases: [EngineCase] = [
    EngineCase(
      name: "extract one field of an object made by to_object",
      definition: """
        {"nodes": [{"id": "k", "data": {"text": "name"}}, {"id": "v", "data": {"text": "Ada"}},
                   {"id": "arr", "data": {"transform_type": "to_array"}}, {"id": "obj", "data": {"transform_type": "to_object"}},
                   {"id": "x", "data": {"field": "name"}}],
         "edges": [{"source": "k", "target": "arr"}, {"source": "v", "target": "arr"}, {"source": "arr", "target": "obj"},
                   {"source": "obj", "target": "x"}]}
        """,
      nodeResults: [
        "k": "name", "v": "Ada", "arr": ["name", "Ada"], "obj": ["name": "Ada"],
        "x": ["field": "name", "value": "Ada"],
      ],
      finalOutput: ["field": "name", "value": "Ada"]
    ),
    EngineCase(
      name: "extract of a missing field fails",
      definition: """
        {"nodes": [{"id": "k", "data": {"text": "a"}}, {"id": "arr", "data": {"transform_type": "to_array"}},
                   {"id": "obj", "data": {"transform_type": "to_object"}}, {"id": "x", "data": {"field": "b"}}],
         "edges": [{"source": "k", "target": "arr"}, {"source": "arr", "target": "obj"}, {"source": "obj", "target": "x"}]}
        """,
      error: "error executing node x: field 'b' not found in input object"
    ),
    EngineCase(
      name: "extract needs an object",
      definition: """
        {"nodes": [{"id": "n", "data": {"value": 1}}, {"id": "x", "data": {"field": "a"}}],
         "edges": [{"source": "n", "target": "x"}]}
        """,
      error: "error executing node x: extract node requires object input, got float64"
    ),
    EngineCase(
      name: "flatten is deep",
      definition: """
        {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 2}}, {"id": "x", "data": {"field": "range"}},
                   {"id": "v", "type": "transform", "data": {"transform_type": "values"}},
                   {"id": "a", "data": {"transform_type": "to_array"}}, {"id": "f", "data": {"transform_type": "flatten"}}],
         "edges": [{"source": "r", "target": "x"}, {"source": "x", "target": "v"}, {"source": "v", "target": "a"},
                   {"source": "a", "target": "f"}]}
        """,
      finalOutput: ["range", 1, 2]
    ),
    EngineCase(
      name: "join all collects every input in edge order",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "b", "data": {"value": 2}}, {"id": "j", "data": {"join_strategy": "all"}}],
         "edges": [{"source": "b", "target": "j"}, {"source": "a", "target": "j"}]}
        """,
      finalOutput: ["strategy": "all", "values": [2, 1], "count": 2]
    ),
    EngineCase(
      name: "an unknown join strategy fails",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 1}}, {"id": "j", "data": {"join_strategy": "most"}}],
         "edges": [{"source": "a", "target": "j"}]}
        """,
      error: "error executing node j: unsupported join strategy: most"
    ),
    EngineCase(
      name: "split hands its input to every path",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 7}}, {"id": "s", "data": {"paths": ["x", "y"]}}],
         "edges": [{"source": "a", "target": "s"}]}
        """,
      finalOutput: ["value": 7, "paths": ["x", "y"], "outputs": ["x": 7, "y": 7]]
    ),
  ]

  @Test("table cases", arguments: cases)
  func table(_ engineCase: EngineCase) async {
    await engineCase.check()
  }
}
