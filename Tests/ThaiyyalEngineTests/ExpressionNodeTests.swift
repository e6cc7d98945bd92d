import Testing
import ThaiyyalEngine

/// condition, switch, expression, filter, map, reduce, find, and the expression language.
@Suite("Expression nodes")
struct ExpressionNodeTests {
  /// `[1, 2, 3, 4, 5]` from a range node (unwrapped by an expression), then `node`.
  static func overRange(_ node: String) -> String {
    """
    {"nodes": [{"id": "r", "type": "range", "data": {"start": 1, "end": 5}}, {"id": "x", "data": {"expression": "input.range"}},
               \(node)],
     "edges": [{"source": "r", "target": "x"}, {"source": "x", "target": "n"}]}
    """
  }

  /// A number node feeding `node`.
  static func overNumber(_ value: String, _ node: String) -> String {
    """
    {"nodes": [{"id": "a", "data": {"value": \(value)}}, \(node)], "edges": [{"source": "a", "target": "n"}]}
    """
  }

  static let cases: [EngineCase] = [
    EngineCase(
      name: "condition with an empty left side, and the true path gates the next node",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 25}}, {"id": "c", "data": {"condition": ">=18", "true_path": "adult"}},
                   {"id": "yes", "data": {"text": "adult"}}, {"id": "no", "data": {"text": "minor"}}],
         "edges": [{"source": "a", "target": "c"}, {"source": "c", "target": "yes", "sourceHandle": "true"},
                   {"source": "c", "target": "no", "sourceHandle": "false"}]}
        """,
      nodeResults: [
        "a": 25,
        "c": [
          "value": 25, "condition_met": true, "condition": ">=18", "path": "true",
          "true_path": true, "false_path": false,
        ],
        "yes": "adult",
      ],
      finalOutput: "adult"
    ),
    EngineCase(
      name: "only booleans are true: input is false for 25, !input is true",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 25}}, {"id": "c1", "type": "condition", "data": {"condition": "input"}},
                   {"id": "c2", "type": "condition", "data": {"condition": "!input"}}],
         "edges": [{"source": "a", "target": "c1"}, {"source": "a", "target": "c2"}]}
        """,
      nodeResults: [
        "a": 25,
        "c1": [
          "value": 25, "condition_met": false, "condition": "input", "path": "false",
          "true_path": false, "false_path": true,
        ],
        "c2": [
          "value": 25, "condition_met": true, "condition": "!input", "path": "true",
          "true_path": true, "false_path": false,
        ],
      ]
    ),
    EngineCase(
      name: "numeric strings compare as numbers",
      definition: overNumber(
        "25",
        #"{"id": "n", "data": {"expression": "input == '25' && '10' == '10.0'"}}"#
      ),
      finalOutput: true
    ),
    EngineCase(
      name: "arithmetic with precedence, functions and a ternary",
      definition: overNumber(
        "7",
        #"{"id": "n", "data": {"expression": "input > 5 ? round(input / 2) + pow(2, 3) * 2 : 0"}}"#
      ),
      finalOutput: 20
    ),
    EngineCase(
      name:
        "modulo truncates its operands; modulo by a fraction that truncates to 0 is an error, read as false",
      definition: overNumber("7.9", #"{"id": "n", "data": {"expression": "input % 0.5"}}"#),
      finalOutput: false
    ),
    EngineCase(
      name: "filter keeps the items whose condition holds",
      definition: overRange(#"{"id": "n", "data": {"condition": "item > 2"}}"#),
      finalOutput: [
        "filtered": [3, 4, 5], "input_count": 5, "output_count": 3, "skipped_count": 2,
        "error_count": 0,
        "condition": "item > 2", "is_array": true,
      ]
    ),
    EngineCase(
      name: "map with an expression",
      definition: overRange(#"{"id": "n", "type": "map", "data": {"expression": "item * index"}}"#),
      finalOutput: [
        "results": [0, 2, 6, 12, 20], "input_count": 5, "output_count": 5, "successful": 5,
        "failed": 0,
      ]
    ),
    EngineCase(
      name: "reduce with the accumulator",
      definition: overRange(
        #"{"id": "n", "data": {"expression": "accumulator + item", "initial_value": 10}}"#
      ),
      finalOutput: [
        "result": 25, "final_value": 25, "initial_value": 10, "input_count": 5, "iterations": 5,
        "successful": 5, "failed": 0,
      ]
    ),
    EngineCase(
      name: "find the first match, with its index",
      definition: overRange(
        #"{"id": "n", "type": "find", "data": {"condition": "item >= 3", "return_index": true}}"#
      ),
      finalOutput: ["found": 3, "condition": "item >= 3", "index": 2]
    ),
    EngineCase(
      name: "switch takes the first matching case and gates on output_path",
      definition: """
        {"nodes": [{"id": "a", "data": {"value": 15}},
                   {"id": "s", "data": {"cases": [{"when": "> 100", "output_path": "big"}, {"when": "> 10", "output_path": "mid"},
                                                  {"is_default": true, "output_path": "small"}]}},
                   {"id": "big", "data": {"text": "B"}}, {"id": "mid", "data": {"text": "M"}}],
         "edges": [{"source": "a", "target": "s"}, {"source": "s", "target": "big", "sourceHandle": "big"},
                   {"source": "s", "target": "mid", "sourceHandle": "mid"}]}
        """,
      nodeResults: [
        "a": 15,
        "s": ["value": 15, "matched": true, "case": "> 10", "output_path": "mid", "case_index": 1],
        "mid": "M",
      ]
    ),
    EngineCase(
      name: "string methods and node references",
      definition: """
        {"nodes": [{"id": "t", "data": {"text": " Hello World "}},
                   {"id": "n", "type": "expression", "data": {"expression": "node.t.trim().toLowerCase().replace('o', '0')"}}],
         "edges": [{"source": "t", "target": "n"}]}
        """,
      finalOutput: "hell0 w0rld"
    ),
    EngineCase(
      name: "an expression that does not parse fails the node with a clear error",
      definition: overNumber("1", #"{"id": "n", "data": {"expression": "1 +"}}"#),
      error: "error executing node n: expression evaluation failed: unexpected end of expression"
    ),
  ]

  @Test("table cases", arguments: cases)
  func table(_ engineCase: EngineCase) async {
    await engineCase.check()
  }
}
