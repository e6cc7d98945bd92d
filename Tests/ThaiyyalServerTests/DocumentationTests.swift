import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

/// The wire facts docs/api.md states, checked against what the server answers.
@Suite("Documentation")
struct DocumentationTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The error table of docs/api.md: each ErrorInfo reason with the code name of its row.
  static func documentedReasons() throws -> [String: String] {
    let text = try String(contentsOf: root.appendingPathComponent("docs/api.md"), encoding: .utf8)
    var reasons: [String: String] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("| `") {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count >= 3, let code = cells[0].split(separator: "`").first else { continue }
      let quoted = cells[2].split(separator: "`", omittingEmptySubsequences: false)
      for reason in quoted.enumerated() where reason.offset % 2 == 1 {
        reasons[String(reason.element)] = String(code)
      }
    }
    return reasons
  }

  @Test("every ErrorInfo reason the server can send is documented")
  func everyReasonDocumented() throws {
    let documented = try Self.documentedReasons()
    let sources = Self.root.appendingPathComponent("Sources")
    let pattern = try NSRegularExpression(pattern: #"reason: "([A-Z_]+)""#)
    var used: Set<String> = []
    let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
    while let file = files?.nextObject() as? URL {
      guard file.pathExtension == "swift" else { continue }
      let text = try String(contentsOf: file, encoding: .utf8)
      for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        used.insert(String(text[Range(match.range(at: 1), in: text)!]))
      }
    }
    #expect(!used.isEmpty)
    #expect(
      used.subtracting(documented.keys).isEmpty,
      "undocumented: \(used.subtracting(documented.keys))"
    )
  }

  @Test("the server answers each reason with the code the table gives it")
  func reasonsUnderTheirCodes() async throws {
    let documented = try Self.documentedReasons()
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server)
      _ = try await Fixture.make(server, slug: "other")
      let member = fixture.client(.member)
      var answers: [RPCError] = []
      func record(_ call: () async throws -> Void) async {
        do {
          try await call()
          Issue.record("the call succeeded")
        } catch let error as RPCError {
          answers.append(error)
        } catch {
          Issue.record("\(error)")
        }
      }
      await record {
        _ = try await member.users.listUsers(options: CallOptions(metadata: ["x-tenant": "other"]))
      }
      await record { _ = try await fixture.login("acme", "member", password: "not the password") }
      await record { _ = try await server.makeClient(token: "a.b.c", remote: true).users.whoAmI() }
      await record {
        _ = try await server.makeClient().tenants.createTenant(createTenantRequest("acme"))
      }
      let workflow = try await fixture.createWorkflow()
      let run = try await fixture.execute(workflow.id)
      await record { _ = try await member.executions.cancelExecution(.with { $0.id = run.id }) }
      #expect(answers.count == 5)
      for error in answers {
        let reason = try #require(error.errorInfo?.reason, "\(error)")
        #expect(documented[reason] == "\(error.code)", "\(reason) answered \(error.code)")
      }
    }
  }
}
