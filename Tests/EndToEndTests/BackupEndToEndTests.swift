import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting
import ThaiyyalTransport

/// `thaiyyal backup` and `thaiyyal restore` against a real server under load (SQLite; PostgreSQL
/// is backed up with pg_dump).
@Suite("Backup and restore end to end", .serialized)
struct BackupEndToEndTests {
  static let definition = #"{"nodes": [{"id": "a", "data": {"value": 1}}]}"#

  @Test(
    "a backup taken while writes go on restores into a fresh server that serves every row acknowledged before it began",
    .enabled(
      if: TestBackend.current == .sqlite
        && FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path)
    )
  )
  func backupUnderLoad() async throws {
    let source = try TemporaryDirectory()
    let restored = try TemporaryDirectory()
    defer {
      source.remove()
      restored.remove()
    }
    let server = try await TenancyEndToEndTests.startServer(in: source.path)
    defer { server.terminate() }
    let owner = try await signedInOwner(
      of: "acme",
      socket: source.path + "/s.sock",
      plan: .enterprise
    )
    @Sendable func create(_ name: String) async throws -> String {
      try await owner.workflows.createWorkflow(
        .with {
          $0.name = name
          $0.definitionJson = Self.definition
        }
      ).id
    }
    var acknowledged: Set<String> = []
    for index in 0 ..< 30 { acknowledged.insert(try await create("before-\(index)")) }

    // Writes go on while the backup is taken.
    let writer = Task {
      var made = 0
      while !Task.isCancelled {
        if (try? await create("during-\(made)")) != nil { made += 1 }
      }
      return made
    }
    let file = source.path + "/backup.db"
    let backup = try await BinaryTests.run(["backup", file, "--data-dir", source.path + "/data"])
    writer.cancel()
    let writtenDuring = await writer.value
    #expect(backup.status == 0, "\(backup.error)")
    #expect(backup.output.contains("integrity ok"), "\(backup.output)")
    #expect(writtenDuring > 0, "the server was written to during the backup")
    // A second backup to the same file is refused: a backup never overwrites.
    let overwrite = try await BinaryTests.run(["backup", file, "--data-dir", source.path + "/data"])
    #expect(overwrite.status == 1)

    let target = restored.path + "/data"
    let restore = try await BinaryTests.run(["restore", file, "--data-dir", target])
    #expect(restore.status == 0, "\(restore.error)")
    let again = try await BinaryTests.run(["restore", file, "--data-dir", target])
    #expect(again.status == 1 && again.error.contains("--force"), "\(again.error)")
    let notABackup = source.path + "/garbage.db"
    try Data("not a database".utf8).write(to: URL(fileURLWithPath: notABackup))
    let refused = try await BinaryTests.run([
      "restore", notABackup, "--data-dir", target, "--force",
    ])
    #expect(refused.status == 1 && refused.error.contains("not a usable backup"))

    // A fresh server on the restored directory serves every acknowledged workflow.
    let fresh = try await TenancyEndToEndTests.startServer(in: restored.path)
    defer { fresh.terminate() }
    // Never under a running server, even when forced.
    let underServer = try await BinaryTests.run(["restore", file, "--data-dir", target, "--force"])
    #expect(
      underServer.status == 1 && underServer.error.contains("a server is running"),
      "\(underServer.error)"
    )
    let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: restored.path + "/s.sock"))
    reader.token = try await reader.users.login(
      .with {
        $0.tenant = "acme"
        $0.login = "owner"
        $0.password = "a long enough password"
      }
    ).accessToken
    var served: Set<String> = []
    var token = ""
    repeat {
      let page = try await reader.workflows.listWorkflows(
        .with {
          $0.pageSize = 100
          $0.pageToken = token
        }
      )
      served.formUnion(page.workflows.map(\.id))
      token = page.nextPageToken
    } while !token.isEmpty
    #expect(acknowledged.isSubset(of: served), "\(acknowledged.subtracting(served).count) missing")
    await reader.close()
    await owner.close()
  }
}
