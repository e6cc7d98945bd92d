import Foundation
import Testing

@testable import ThaiyyalEngine

/// docs/nodes.md cannot drift from the engine: it documents every node type of the registry and
/// every field each type declares or requires, and every example in it produces the output written
/// under it.
@Suite("Node documentation")
struct NodeDocumentationTests {
  static let path = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("docs/nodes.md")

  /// The documentation's sections by node type: the text under each `## <type>` heading.
  static func sections() throws -> [String: String] {
    let text = try String(contentsOf: path, encoding: .utf8)
    var sections: [String: String] = [:]
    for part in text.components(separatedBy: "\n## ").dropFirst() {
      let heading = part.prefix { $0 != "\n" }
      sections[String(heading)] = String(part.dropFirst(heading.count))
    }
    return sections
  }

  /// The fenced blocks of a section, as (info string, content) in order.
  static func blocks(_ section: String) -> [(info: String, content: String)] {
    var blocks: [(String, String)] = []
    var lines = section.split(separator: "\n", omittingEmptySubsequences: false)[...]
    while let line = lines.popFirst() {
      guard line.hasPrefix("```") else { continue }
      let info = String(line.dropFirst(3))
      var content: [Substring] = []
      while let inner = lines.popFirst(), !inner.hasPrefix("```") { content.append(inner) }
      blocks.append((info, content.joined(separator: "\n")))
    }
    return blocks
  }

  /// The keys of a section's field table (its rows' first cells).
  static func tableKeys(_ section: String) -> Set<String> {
    Set(
      section.split(separator: "\n").compactMap { line -> String? in
        guard line.hasPrefix("| `") else { return nil }
        return line.dropFirst(3).prefix { $0 != "`" }.description
      }
    )
  }

  @Test("every node type is documented, its field table listing exactly the keys it reads")
  func coverage() throws {
    let sections = try Self.sections()
    #expect(Set(sections.keys) == Set(NodeRegistry.all.map(\.name)))
    for type in NodeRegistry.all {
      #expect(Self.tableKeys(sections[type.name] ?? "") == type.knownKeys, "\(type.name)")
    }
  }

  @Test("every example produces the output written under it")
  func examples() async throws {
    var checked = 0
    for (name, section) in try Self.sections() {
      let blocks = Self.blocks(section)
      for (index, block) in blocks.enumerated() where block.info == "json workflow" {
        guard index + 1 < blocks.count else {
          Issue.record("\(name): an example without its output")
          continue
        }
        let result = await WorkflowEngine().runOffPool(definition: block.content)
        let expected = blocks[index + 1]
        switch expected.info {
        case "json output":
          #expect(result.errors.isEmpty, "\(name): \(result.errors)")
          #expect(
            result.finalOutput == (try JSONParser().parse(expected.content)),
            "\(name): \(String(describing: result.finalOutput))"
          )
        case "text error":
          #expect(result.errors == [expected.content], "\(name): \(result.errors)")
        default:
          Issue.record("\(name): an example followed by a block of kind \(expected.info)")
        }
        checked += 1
      }
    }
    #expect(checked >= NodeRegistry.types.count)
  }
}
