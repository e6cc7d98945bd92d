import Testing
import ThaiyyalEngine

/// parse: JSON, CSV, TSV, flat YAML, single XML elements, and AUTO's guesses.
@Suite("Parse node")
struct ParseNodeTests {
  /// A text node holding `text` (JSON-escaped by the caller), parsed as `type`.
  static func parse(_ text: String, type: String = "AUTO") async -> ExecutionResult {
    await run(
      """
      {"nodes": [{"id": "t", "data": {"text": \(text)}}, {"id": "p", "type": "parse", "data": {"input_type": "\(type)"}}],
       "edges": [{"source": "t", "target": "p"}]}
      """
    )
  }

  @Test("AUTO recognises JSON, CSV, TSV, YAML and XML")
  func auto() async {
    #expect(await Self.parse(#""{\"a\": [1, 2]}""#).finalOutput == ["a": [1, 2]])
    #expect(
      await Self.parse(#""name,age\nAda, 36\n\"Lovelace, A\",true""#).finalOutput
        == [["name": "Ada", "age": 36], ["name": "Lovelace, A", "age": true]]
    )
    #expect(await Self.parse(#""a\tb\n1\t""#).finalOutput == [["a": 1, "b": ""]])
    #expect(
      await Self.parse(#""host: db\nport: 5432\n# comment""#).finalOutput == [
        "host": "db", "port": 5432,
      ]
    )
    #expect(await Self.parse(#""<count>42</count>""#).finalOutput == ["count": 42])
  }

  @Test("errors name the format")
  func errors() async {
    #expect(
      await Self.parse(#""a,b\n1""#, type: "csv").errors.first?.contains("wrong number of fields")
        == true
    )
    #expect(
      await Self.parse(#""{oops""#, type: "json").errors.first?.contains("invalid JSON") == true
    )
    #expect(
      await Self.parse(#""x""#, type: "toml").errors == [
        "error executing node p: unsupported input type: TOML"
      ]
    )
  }
}
