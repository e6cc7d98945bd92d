import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

/// `thaiyyal tenant export` and `tenant import` from the command line, between two running servers.
@Suite("Moving a tenant end to end", .serialized)
struct TenantMoveEndToEndTests {
  @Test(
    "a tenant exported from one running server is imported into another; a second import is refused",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func exportAndImport() async throws {
    let source = try TemporaryDirectory()
    let target = try TemporaryDirectory()
    defer {
      source.remove()
      target.remove()
    }
    let first = try await TenancyEndToEndTests.startServer(in: source.path)
    defer { first.terminate() }
    let second = try await TenancyEndToEndTests.startServer(in: target.path)
    defer { second.terminate() }
    let owner = try await signedInOwner(
      of: "acme",
      socket: source.path + "/s.sock",
      plan: .enterprise
    )
    var names: Set<String> = []
    for index in 0 ..< 5 {
      let workflow = try await owner.workflows.createWorkflow(
        .with {
          $0.name = "flow-\(index)"
          $0.definitionJson = #"{"nodes": [{"id": "a", "data": {"value": \#(index)}}]}"#
        }
      )
      names.insert(workflow.name)
      _ = try await owner.executions.executeWorkflow(.with { $0.workflowID = workflow.id })
    }
    await owner.close()

    func database(_ directory: TemporaryDirectory) async throws -> [String] {
      ["--data-dir", directory.path + "/data"]
        + (try await ServerDatabases.shared.arguments(for: directory.path))
    }
    let archive = source.path + "/acme.jsonl"
    let export = try await BinaryTests.run(
      ["tenant", "export", "acme", "-o", archive, "--with-password-hashes", "--with-executions"]
        + (try await database(source))
    )
    #expect(export.status == 0, "\(export.error)")
    #expect(export.output.contains("exported acme") && export.output.contains("5 workflows"))
    let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
    #expect(mode == 0o600, "the archive holds password hashes: its owner alone reads it")
    let again = try await BinaryTests.run(
      ["tenant", "export", "acme", "-o", archive] + (try await database(source))
    )
    #expect(again.status == 2 && again.error.contains("exists"), "\(again.error)")
    let unknown = try await BinaryTests.run(
      ["tenant", "export", "nobody", "-o", archive + ".2"] + (try await database(source))
    )
    #expect(unknown.status == 1 && unknown.error.contains("not found"), "\(unknown.error)")
    #expect(!FileManager.default.fileExists(atPath: archive + ".2"))
    #expect(!FileManager.default.fileExists(atPath: archive + ".2.partial"))

    let load = try await BinaryTests.run(
      ["tenant", "import", archive] + (try await database(target))
    )
    #expect(load.status == 0, "\(load.error)")
    #expect(load.output.contains("imported acme"), "\(load.output)")
    let clash = try await BinaryTests.run(
      ["tenant", "import", archive] + (try await database(target))
    )
    #expect(clash.status == 1, "\(clash.output)")
    #expect(
      clash.error.contains("already exists here") && clash.error.contains("nothing was imported"),
      "\(clash.error)"
    )
    let copy = try await BinaryTests.run(
      ["tenant", "import", archive, "--slug", "acme-two", "--new-id"]
        + (try await database(target))
    )
    #expect(copy.status == 0, "\(copy.error)")

    // The target server serves the moved tenant at once: its owner signs in with the same password.
    for slug in ["acme", "acme-two"] {
      let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: target.path + "/s.sock"))
      reader.token = try await reader.users.login(
        .with {
          $0.tenant = slug
          $0.login = "owner"
          $0.password = "a long enough password"
        }
      ).accessToken
      let listed = try await reader.workflows.listWorkflows(.with { $0.pageSize = 100 })
      #expect(Set(listed.workflows.map(\.name)) == names, "\(slug)")
      let runs = try await reader.executions.listExecutions(.with { $0.pageSize = 100 })
      #expect(runs.executions.count == 5, "\(slug)")
      await reader.close()
    }
  }
}
