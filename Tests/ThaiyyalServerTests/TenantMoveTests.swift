import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting

@testable import ThaiyyalServer

/// `thaiyyal tenant export` and `import`: a tenant moves between two servers with every row, an
/// import is all or nothing, and a clash or a damaged archive is refused with a clear reason.
@Suite("Moving a tenant")
struct TenantMoveTests {
  static let operatorContext = AuditContext(
    actorType: .operator,
    actorID: "operator:uid=0",
    peer: "test",
    requestID: "move",
    time: Int64(Date().timeIntervalSince1970 * 1000)
  )

  /// Every row of every table of a tenant, as the archive reads them.
  static func rows(
    _ store: any Persistence,
    _ tenantID: TenantID
  ) async throws -> [ArchiveTable: [[ArchiveValue]]] {
    try await store.read { tx in
      let archive = try tx.scoped(CrossTenantAccess.scope(of: tenantID, for: .tenantMove)).archive
      var all: [ArchiveTable: [[ArchiveValue]]] = [:]
      for table in ArchiveTable.allCases {
        all[table] = try archive.rows(of: table, after: nil, limit: 1_000_000)
      }
      return all
    }
  }

  /// A tenant with users of every role, workflows with several versions, finished executions
  /// (completed and failed) and their audit entries.
  static func populate(_ fixture: Fixture) async throws {
    let flow = try await fixture.createWorkflow(name: "sum")
    for version in 2 ... 3 {
      var update = Thaiyyal_V1_UpdateWorkflowRequest()
      update.workflow.id = flow.id
      update.workflow.definitionJson = Definitions.numbers(version)
      update.updateMask.paths = ["definition_json"]
      update.changeDescription = "version \(version)"
      _ = try await fixture.client(.member).workflows.updateWorkflow(update)
    }
    let failing = try await fixture.createWorkflow(name: "failing", definition: Definitions.failing)
    for workflow in [flow.id, failing.id, flow.id] {
      _ = try await fixture.execute(workflow)
    }
  }

  /// Writes the tenant to an archive file and returns its path.
  static func export(
    _ server: TestServer,
    _ slug: String,
    into directory: TemporaryDirectory,
    options: TenantMoves.ExportOptions = .init(passwordHashes: true, executions: true),
    progress: @escaping TenantMoves.Progress = { _ in }
  ) async throws -> String {
    let path = directory.path + "/\(slug)-\(UUIDv7.generate()).jsonl"
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try #require(FileHandle(forWritingAtPath: path))
    defer { try? handle.close() }
    _ = try await TenantMoves(store: server.application.store).export(
      slug,
      to: handle,
      options: options,
      actor: operatorContext,
      progress: progress
    )
    return path
  }

  static func importArchive(
    _ path: String,
    into server: TestServer,
    _ options: TenantMoves.ImportOptions = .init()
  ) async throws -> (Tenant, TenantMoves.RowCounts) {
    let handle = try #require(FileHandle(forReadingAtPath: path))
    defer { try? handle.close() }
    return try await TenantMoves(store: server.application.store).importArchive(
      from: handle,
      options: options,
      actor: operatorContext
    )
  }

  static func tenantCount(_ server: TestServer) async throws -> Int {
    try await server.application.store.read { tx in try tx.tenants.all().count }
  }

  @Test("a tenant moves to another server with every row; its users sign in there as before")
  func roundTrip() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withTestServer(.inProcess) { source in
      let fixture = try await Fixture.make(source, slug: "acme")
      try await Self.populate(fixture)
      try await fixture.setLimits {
        $0.maxUsers = 50
        $0.rateLimitPerSecond = 7
      }
      let tenantID = TenantID(rawValue: fixture.tenant.id)
      let before = try await Self.rows(source.application.store, tenantID)
      let path = try await Self.export(source, "acme", into: directory)
      // The export is audited in the source, after the rows it wrote.
      #expect(try await fixture.auditActions().last == "tenant.exported")

      try await withTestServer(.inProcess) { target in
        let (imported, counts) = try await Self.importArchive(path, into: target)
        #expect(imported.id == tenantID && imported.slug == "acme")
        let after = try await Self.rows(target.application.store, tenantID)
        for table in ArchiveTable.allCases where table != .auditLog {
          #expect(after[table] == before[table], "\(table.rawValue) rows differ")
          #expect(counts[table] == before[table]?.count, "\(table.rawValue) count")
        }
        #expect((before[.workflowVersions]?.count ?? 0) == 4)
        #expect((before[.executions]?.count ?? 0) == 3)
        // The audit log arrives whole, with one entry more: the import.
        let audit = try #require(after[.auditLog])
        #expect(Array(audit.filter { !$0.contains(.text("tenant.imported")) }) == before[.auditLog])
        #expect(audit.count == (before[.auditLog]?.count ?? 0) + 1)
        let tenantAfter = try await target.application.store.read { tx in
          try tx.tenants.find(id: tenantID)
        }
        let tenantBefore = try await source.application.store.read { tx in
          try tx.tenants.find(id: tenantID)
        }
        #expect(tenantAfter == tenantBefore)
        #expect(tenantAfter?.limitOverrides.maxUsers == 50)
        #expect(tenantAfter?.limitOverrides.rateLimitPerSecond == 7)

        // The users' hashes came along: they sign in on the target with their passwords, and see
        // their workflows and executions.
        let there = Fixture(
          server: target,
          tenant: fixture.tenant,
          tokens: [:],
          users: fixture.users
        )
        let token = try await there.login("acme", "member")
        let client = target.makeClient(token: token, remote: true)
        let workflows = try await client.workflows.listWorkflows(.with { $0.pageSize = 100 })
        #expect(Set(workflows.workflows.map(\.name)) == ["sum", "failing"])
        let executions = try await client.executions.listExecutions(.with { $0.pageSize = 100 })
        #expect(executions.executions.count == 3)
        // Stored bytes are recounted by the target's database as rows arrive: the same figure.
        func usage(_ server: TestServer) async throws -> [String: Int64] {
          let usage = try await server.makeClient().tenants.getUsage(.with { $0.tenant = "acme" })
          return Dictionary(uniqueKeysWithValues: usage.quotas.map { ($0.name, $0.used) })
        }
        let (moved, original) = (try await usage(target), try await usage(source))
        #expect(moved == original)
        #expect((moved["storage_bytes"] ?? 0) > 0 && moved["executions_per_day"] == 3)
      }
    }
  }

  @Test(
    "an import that clashes is refused and changes nothing; --slug with --new-id imports a copy"
  )
  func clashes() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server, slug: "acme")
      try await Self.populate(fixture)
      let path = try await Self.export(server, "acme", into: directory)
      let tenants = try await Self.tenantCount(server)

      // Into its own server: the id is taken, then (with a new id) the slug.
      do {
        _ = try await Self.importArchive(path, into: server)
        Issue.record("an import over an existing tenant was accepted")
      } catch let error as TenantMoveError {
        #expect("\(error)".contains("already exists here") && "\(error)".contains("--new-id"))
      }
      do {
        _ = try await Self.importArchive(path, into: server, .init(newID: true))
        Issue.record("an import under a taken slug was accepted")
      } catch let error as TenantMoveError {
        #expect("\(error)".contains("slug acme already exists") && "\(error)".contains("--slug"))
      }
      do {
        _ = try await Self.importArchive(path, into: server, .init(slug: "Not A Slug"))
        Issue.record("an invalid slug was accepted")
      } catch let error as DomainError {
        #expect("\(error)".contains("slug"))
      }
      do {
        var options = TenantMoves.ImportOptions(slug: "acme-two", newID: true)
        options.organisation = "our-team"
        _ = try await Self.importArchive(path, into: server, options)
        Issue.record("a second organisation was imported into an installation for one")
      } catch let error as TenantMoveError {
        #expect("\(error)".contains("one organisation, our-team"))
      }
      #expect(try await Self.tenantCount(server) == tenants)

      // A copy beside the original: a new id and slug, the same rows, isolated from the original.
      let (copy, _) = try await Self.importArchive(
        path,
        into: server,
        .init(slug: "acme-copy", newID: true)
      )
      #expect(copy.slug == "acme-copy" && copy.id.rawValue != fixture.tenant.id)
      #expect(try await Self.tenantCount(server) == tenants + 1)
      let original = try await Self.rows(server.application.store, TenantID(fixture.tenant.id))
      let copied = try await Self.rows(server.application.store, copy.id)
      #expect(copied[.workflows] == original[.workflows])
      let token = try await fixture.login("acme-copy", "viewer")
      let listed = try await server.makeClient(token: token, remote: true).workflows.listWorkflows(
        .with { $0.pageSize = 100 }
      )
      #expect(listed.workflows.count == 2)
      // A token of the original tenant does not reach the copy.
      let crossing = await failure {
        try await server.makeClient(
          token: fixture.tokens[.member],
          tenant: "acme-copy",
          remote: true
        )
        .workflows.listWorkflows(.with { $0.pageSize = 100 })
      }
      #expect(crossing?.0 == .permissionDenied || crossing?.0 == .unauthenticated)
    }
  }

  @Test("without password hashes, imported users sign in once an admin sets them a password")
  func withoutPasswordHashes() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withTestServer(.inProcess) { source in
      let fixture = try await Fixture.make(source, slug: "acme")
      let path = try await Self.export(
        source,
        "acme",
        into: directory,
        options: .init(passwordHashes: false, executions: false)
      )
      let text = try String(contentsOfFile: path, encoding: .utf8)
      #expect(!text.contains("scrypt$"), "no hash in the archive")
      try await withTestServer(.inProcess) { target in
        let (_, counts) = try await Self.importArchive(path, into: target)
        #expect(counts[.executions] == nil)
        let moved = Fixture(
          server: target,
          tenant: fixture.tenant,
          tokens: [:],
          users: fixture.users
        )
        let refused = await failure { try await moved.login("acme", "member") }
        #expect(refused?.0 == .unauthenticated)
        // The operator (or an admin) sets a password; the user signs in with it, and only with it.
        var request = Thaiyyal_V1_UpdateUserRequest()
        request.user.id = fixture.users[.member]!.id
        request.password = "a brand new passphrase"
        request.updateMask.paths = ["password"]
        _ = try await target.makeClient(tenant: "acme").users.updateUser(request)
        _ = try await moved.login("acme", "member", password: "a brand new passphrase")
        let old = await failure { try await moved.login("acme", "member") }
        #expect(old?.0 == .unauthenticated)
      }
    }
  }

  @Test("an admin sets other users' passwords, within the role rules; never their own this way")
  func adminSetsPasswords() async throws {
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server, slug: "acme")
      func set(
        _ target: Role,
        by caller: Role,
        to password: String = "another long passphrase"
      )
        async -> RPCError.Code?
      {
        var request = Thaiyyal_V1_UpdateUserRequest()
        request.user.id = fixture.users[target]!.id
        request.password = password
        request.updateMask.paths = ["password"]
        return await failure { try await fixture.client(caller).users.updateUser(request) }?.0
      }
      #expect(await set(.member, by: .admin) == nil)
      // The member's old token was revoked with the change.
      let revoked = await failure {
        try await fixture.client(.member).users.whoAmI(Thaiyyal_V1_WhoAmIRequest())
      }
      #expect(revoked?.0 == .unauthenticated)
      #expect(await set(.owner, by: .admin) == .permissionDenied)
      #expect(await set(.member, by: .viewer) == .permissionDenied)
      #expect(await set(.admin, by: .admin) == .failedPrecondition)
      #expect(await set(.viewer, by: .owner, to: "short") == .invalidArgument)
      var mixed = Thaiyyal_V1_UpdateUserRequest()
      mixed.user.id = fixture.users[.viewer]!.id
      mixed.password = "another long passphrase"
      mixed.updateMask.paths = ["password", "role"]
      let refused = await failure { try await fixture.client(.owner).users.updateUser(mixed) }
      #expect(refused?.0 == .invalidArgument)
      let actions = try await fixture.auditActions()
      #expect(actions.filter { $0 == "user.password_changed" }.count == 1)
    }
  }

  @Test("a cut, altered, foreign or hostile archive is refused and nothing of it is imported")
  func damagedArchives() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withTestServer(.inProcess) { source in
      let fixture = try await Fixture.make(source, slug: "acme")
      try await Self.populate(fixture)
      let path = try await Self.export(source, "acme", into: directory)
      let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        .map(String.init)
      try await withTestServer(.inProcess) { target in
        func refused(_ name: String, _ lines: [String], _ expected: String) async throws {
          let damaged = directory.path + "/\(name).jsonl"
          try (lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n").write(
            toFile: damaged,
            atomically: true,
            encoding: .utf8
          )
          do {
            _ = try await Self.importArchive(damaged, into: target)
            Issue.record("\(name): imported")
          } catch {
            #expect("\(error)".contains(expected), "\(name): \(error)")
          }
          #expect(try await Self.tenantCount(target) == 0, "\(name): something was imported")
        }
        try await refused("cut", Array(lines.dropLast()), "cut short")
        try await refused("cut-in-rows", Array(lines.prefix(lines.count / 2)), "cut short")
        let renamed = lines.map {
          $0.replacingOccurrences(of: #""name":"sum""#, with: #""name":"mum""#)
        }
        #expect(renamed != lines)
        try await refused("altered", renamed, "checksum")
        try await refused(
          "newer",
          [lines[0].replacingOccurrences(of: #""version":1"#, with: #""version":2"#)]
            + lines.dropFirst(),
          "version 2"
        )
        try await refused("not-an-archive", [#"{"nodes": []}"#], "not a tenant archive")
        let negative = [
          lines[0].replacingOccurrences(
            of: #""limit_overrides":{}"#,
            with: #""limit_overrides":{"max_users":-5}"#
          )
        ]
        #expect(negative[0] != lines[0])
        try await refused("negative-limit", negative + lines.dropFirst(), "-1 (unlimited) or more")
        try await refused("empty", [], "empty")
        let extraColumn = lines.map {
          $0.hasPrefix(#"{"row":{"#) && $0.contains(#""table":"workflows""#)
            ? $0.replacingOccurrences(of: #"{"row":{"#, with: #"{"row":{"owner_secret":"x","#) : $0
        }
        #expect(extraColumn != lines)
        try await refused("extra-column", extraColumn, "unknown: owner_secret")
        // A password hash whose cost would take a login minutes and gigabytes.
        let costly = lines.map {
          $0.replacingOccurrences(
            of: #"scrypt$1024$"#,
            with: #"scrypt$1073741824$"#
          )
        }
        #expect(costly != lines)
        try await refused("costly-hash", costly, "password hash")
        // Rows of a later table before an earlier one.
        let users = lines.filter { $0.contains(#""table":"users""#) }
        let reordered =
          [lines[0]] + lines.dropFirst().dropLast().filter { !users.contains($0) } + users
          + [lines.last!]
        try await refused("reordered", reordered, "out of order")
        // An execution pointing at a version the archive does not hold: the database refuses it.
        let orphan = lines.map {
          $0.contains(#""table":"workflow_executions""#)
            ? $0.replacingOccurrences(of: #""workflow_version":"#, with: #""workflow_version":9"#)
            : $0
        }
        #expect(orphan != lines)
        try await refused("orphan", orphan, "the database refused the row")
        // The untouched archive still loads.
        _ = try await Self.importArchive(path, into: target)
        #expect(try await Self.tenantCount(target) == 1)
      }
    }
  }

  @Test("lines longer than a read are read whole; a line past the limit is refused")
  func longLines() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/long.jsonl"
    FileManager.default.createFile(atPath: path, contents: nil)
    let output = try #require(FileHandle(forWritingAtPath: path))
    let writer = TenantArchiveFormat.Writer(output)
    let tenant = Tenant(
      id: .generate(),
      slug: "acme",
      name: "Acme",
      status: .active,
      plan: .pro,
      limitOverrides: PlanLimits(),
      settingsJSON: "{}",
      customDomain: nil,
      createdAt: 1,
      updatedAt: 2,
      deletedAt: nil,
      revision: 3
    )
    // A definition of 3 MiB, with escapes: its line arrives in several reads of 1 MiB.
    let definition =
      #"{"nodes": [], "note": ""# + String(repeating: #"a"b"#, count: 800_000) + #""}"#
    let row: [ArchiveValue] = [
      .text(UUIDv7.generate()), .integer(1), .text(definition), .text(""), .text("u"), .integer(5),
    ]
    try writer.header(tenant: tenant, options: .init(), at: 9)
    try writer.row(row, of: .workflowVersions)
    try writer.trailer([.workflowVersions: 1])
    try output.close()

    let input = try #require(FileHandle(forReadingAtPath: path))
    let reader = TenantArchiveFormat.Reader(input)
    #expect(try reader.header().tenant == tenant)
    let (table, values) = try #require(try reader.row())
    #expect(table == .workflowVersions && values == row)
    #expect(try reader.row() == nil)
    try reader.trailer(expecting: [.workflowVersions: 1])
    try input.close()

    let again = try #require(FileHandle(forReadingAtPath: path))
    defer { try? again.close() }
    let strict = TenantArchiveFormat.Reader(again, maxLineBytes: 2 << 20)
    _ = try strict.header()
    #expect(throws: TenantMoveError.self) { _ = try strict.row() }
  }

  @Test("an export is one snapshot: a workflow created while it runs is not half in it")
  func snapshot() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withTestServer(.inProcess) { source in
      let fixture = try await Fixture.make(source, slug: "acme")
      try await fixture.setLimits {
        $0.rateLimitPerSecond = 100_000
        $0.rateLimitBurst = 100_000
      }
      // 40 versions: two pages of 32. Between them a workflow is created (after the export read
      // the workflows); a reader that saw it would write its version without its workflow.
      for index in 0 ..< 40 { _ = try await fixture.createWorkflow(name: "flow-\(index)") }
      let created = DispatchSemaphore(value: 0)
      let once = Reports()
      let member = fixture.client(.member)
      let path = try await Self.export(
        source,
        "acme",
        into: directory,
        options: .init(),
        progress: { counts in
          guard counts[.workflowVersions] == 32, once.values.isEmpty else { return }
          once.add(1)
          // The export's transaction waits here (on the store's thread) while another commits.
          Task.detached {
            _ = try? await member.workflows.createWorkflow(
              .with {
                $0.name = "during"
                $0.definitionJson = Definitions.sum
              }
            )
            created.signal()
          }
          if created.wait(timeout: .now() + 60) == .timedOut {
            Issue.record("the workflow created during the export did not commit")
          }
        }
      )
      #expect(once.values == [1], "the export paused between the pages of versions")
      let text = try String(contentsOfFile: path, encoding: .utf8)
      #expect(!text.contains(#""name":"during""#))
      try await withTestServer(.inProcess) { target in
        let (_, counts) = try await Self.importArchive(path, into: target)
        #expect(counts[.workflows] == 40 && counts[.workflowVersions] == 40)
      }
    }
  }

  @Test("an export reads executions a few at a time, however many there are")
  func streams() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withTestServer(.inProcess) { server in
      let fixture = try await Fixture.make(server, slug: "acme")
      try await fixture.setLimits {
        $0.rateLimitPerSecond = 100_000
        $0.rateLimitBurst = 100_000
      }
      let flow = try await fixture.createWorkflow()
      for _ in 0 ..< 40 { _ = try await fixture.execute(flow.id) }
      let reports = Reports()
      _ = try await Self.export(
        server,
        "acme",
        into: directory,
        options: .init(executions: true),
        progress: { reports.add($0[.executions] ?? 0) }
      )
      // One report per page: executions arrive eight at a time (and an empty last page).
      let steps = reports.values.filter { $0 > 0 }
      #expect(steps == Array(stride(from: 8, through: 40, by: 8)), "\(reports.values)")
    }
  }

  final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Int] = []
    private var last = -1

    func add(_ value: Int) {
      lock.lock()
      defer { lock.unlock() }
      if value != last { seen.append(value) }
      last = value
    }

    var values: [Int] {
      lock.lock()
      defer { lock.unlock() }
      return seen
    }
  }
}
