import Foundation
import Testing
import ThaiyyalTesting

/// Migrating from single-tenant Thaiyyal: a server for one organisation, whose workflows the
/// socket's owner imports and whose users sign in, without ever naming a tenant.
@Suite("One organisation end to end", .serialized)
struct SingleOrganisationEndToEndTests {
  @Test(
    "with multi_tenant.enabled false, workflows saved by the original tools are imported and run without naming a tenant",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func migrate() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let config = directory.path + "/thaiyyal.yaml"
    try "multi_tenant:\n  enabled: false\n  default_tenant: our-team\n".write(
      toFile: config,
      atomically: true,
      encoding: .utf8
    )
    let server = try await TenancyEndToEndTests.startServer(
      in: directory.path,
      extra: ["--config", config]
    )
    defer { server.terminate() }
    func thaiyyal(
      _ arguments: [String],
      input: String? = nil
    ) async throws -> (
      status: Int32, output: String, error: String
    ) {
      try await BinaryTests.client(of: directory.path, arguments, input: input)
    }

    let saved = directory.path + "/saved"
    try FileManager.default.createDirectory(atPath: saved, withIntermediateDirectories: true)
    try
      #"{"name": "Double", "nodes": [{"id": "a", "data": {"value": 21}}, {"id": "b", "data": {"expression": "input * 2"}}], "edges": [{"source": "a", "target": "b"}]}"#
      .write(toFile: saved + "/double.json", atomically: true, encoding: .utf8)
    // The socket's owner is the operator: no login, no tenant.
    let imported = try await thaiyyal(["import-workflows", saved])
    #expect(imported.status == 0, "\(imported.output) \(imported.error)")
    #expect(imported.output.contains("1 of 1 imported"))
    let created = try await thaiyyal(
      [
        "user", "create", "--email", "ada@example.com", "--username", "ada", "--role", "owner",
        "--password-stdin",
      ],
      input: "a long enough password\n"
    )
    #expect(created.status == 0, "\(created.error)")
    let refused = try await thaiyyal(
      [
        "tenant", "create", "--slug", "other", "--name", "Other", "--owner-email", "o@o.io",
        "--owner-username", "o", "--password-stdin",
      ],
      input: "a long enough password\n"
    )
    #expect(refused.status == 1 && refused.error.contains("one organisation"), "\(refused.error)")

    // Ada signs in without a tenant, and runs the imported workflow.
    let login = try await thaiyyal(
      ["login", "--user", "ada", "--password-stdin"],
      input: "a long enough password\n"
    )
    #expect(login.status == 0, "\(login.error)")
    let listed = try await thaiyyal(["workflow", "list", "--output", "json"])
    let line = try #require(listed.output.split(separator: "\n").first)
    let workflow = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    #expect(workflow?["name"] as? String == "Double")
    let id = try #require(workflow?["id"] as? String)
    let run = try await thaiyyal(["exec", "run", id, "--wait", "--output", "json"])
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output.contains(#"\"final_output\":42"#), "\(run.output)")
  }
}
