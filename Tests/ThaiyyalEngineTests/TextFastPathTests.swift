import Testing

@testable import ThaiyyalEngine

/// The byte-wise case operations on ASCII text give exactly what the Unicode-aware ones give.
@Suite("ASCII text operations")
struct TextFastPathTests {
  static let operations = ["uppercase", "lowercase", "titlecase", "camelcase", "inversecase"]

  @Test("random ASCII text: every case operation agrees with the Unicode path")
  func agree() {
    // Letters, digits, the word-joining marks, spaces of every kind and other punctuation.
    let alphabet = Array("aZbY09 \t\n\u{0B}\u{0C}\r'.:-_!?,;\"()")
    var generator = RandomWorkflowTests.SplitMix(state: 0x7A11_A1)
    for _ in 0 ..< 3000 {
      let length = Int(generator.next() % 24)
      let text = String(
        (0 ..< length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
      )
      for op in Self.operations {
        let fast = ASCIIText.apply(op, to: text)
        #expect(fast != nil)
        #expect(
          fast == TextOperationNode.caseChanged(op, text),
          "\(op) of \(text.debugDescription)"
        )
      }
    }
  }

  @Test("text with any non-ASCII byte is left to the Unicode path")
  func nonASCII() {
    #expect(ASCIIText.apply("uppercase", to: "straße") == nil)
    #expect(ASCIIText.apply("repeat", to: "abc") == nil)
  }
}
