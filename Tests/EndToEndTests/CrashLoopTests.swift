import Foundation
import SwiftProtobuf
import Synchronization
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore
import ThaiyyalTesting
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// The crash loop of issue 11: a real `thaiyyal serve` killed with SIGKILL at random moments under
/// a mixed write load, twenty times over one database. Every write the server acknowledged must
/// be there at the end, and the file must be intact.
@Suite("Crash loop", .serialized)
struct CrashLoopTests {
  /// What the server acknowledged: workflows with the last version it confirmed, and executions.
  final class Ledger: Sendable {
    private let state = Mutex<(workflows: [String: Int64], executions: [String])>(([:], []))
    var count: Int { state.withLock { $0.workflows.count + $0.executions.count } }
    var workflows: [String: Int64] { state.withLock { $0.workflows } }
    var executions: [String] { state.withLock { $0.executions } }
    func workflow(_ id: String, version: Int64) {
      state.withLock { $0.workflows[id] = max($0.workflows[id] ?? 0, version) }
    }
    func execution(_ id: String) { state.withLock { $0.executions.append(id) } }
  }

  static let definition = """
    {"nodes": [{"id": "a", "data": {"value": 2}}, {"id": "b", "data": {"value": 3}}, {"id": "s", "data": {"op": "add"}}],
     "edges": [{"source": "a", "target": "s"}, {"source": "b", "target": "s"}]}
    """

  /// Creates workflows, changes them (new versions) and starts executions until the server goes.
  static func write(_ client: ThaiyyalClient, _ ledger: Ledger, writer: Int) async {
    var round = 0
    while true {
      round += 1
      do {
        let created = try await client.workflows.createWorkflow(
          .with {
            $0.name = "w\(writer)-\(round)-\(UUID().uuidString.prefix(8))"
            $0.definitionJson = definition
          }
        )
        ledger.workflow(created.id, version: created.version)
        let updated = try await client.workflows.updateWorkflow(
          .with {
            $0.workflow.id = created.id
            $0.workflow.definitionJson = definition.replacingOccurrences(of: "3}", with: "4}")
            $0.updateMask.paths = ["definition_json"]
          }
        )
        ledger.workflow(updated.id, version: updated.version)
        let execution = try await client.executions.startExecution(
          .with { $0.workflowID = created.id }
        )
        ledger.execution(execution.id)
      } catch {
        return  // the server is gone
      }
    }
  }

  @Test(
    "twenty SIGKILLs at random moments under writes lose no acknowledged write; the file is intact",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func crashLoop() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let socket = directory.path + "/s.sock"
    let ledger = Ledger()
    var token = ""
    for cycle in 0 ..< 20 {
      let server = try await TenancyEndToEndTests.startServer(in: directory.path)
      if cycle == 0 {
        let owner = try await signedInOwner(of: "acme", socket: socket, plan: .enterprise)
        token = owner.token ?? ""
        await owner.close()
      }
      let client = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket), token: token)
      let before = ledger.count
      let writers = Task {
        await withTaskGroup(of: Void.self) { group in
          for writer in 0 ..< 3 {
            group.addTask { await Self.write(client, ledger, writer: writer) }
          }
        }
      }
      // A random moment: after a random number of acknowledged writes in this cycle.
      let target = before + Int.random(in: 1 ... 40)
      for _ in 0 ..< 20_000 where ledger.count < target {
        try await Task.sleep(for: .milliseconds(2))
      }
      kill(server.processIdentifier, SIGKILL)
      await offPool { server.waitUntilExit() }
      await writers.value
      await client.close()
    }

    let server = try await TenancyEndToEndTests.startServer(in: directory.path)
    let reader = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket), token: token)
    var lost: [String] = []
    for (id, version) in ledger.workflows {
      do {
        let stored = try await reader.workflows.getWorkflow(.with { $0.id = id })
        if stored.version < version { lost.append("\(id) v\(version)") }
      } catch {
        lost.append(id)
      }
    }
    for id in ledger.executions {
      if (try? await reader.executions.getExecution(.with { $0.id = id })) == nil {
        lost.append(id)
      }
    }
    await reader.close()
    server.terminate()
    await offPool { server.waitUntilExit() }
    #expect(ledger.workflows.count >= 20, "the load wrote")
    #expect(lost.isEmpty, "lost: \(lost.prefix(10))")
    try await ServerDatabases.shared.checkIntegrity(of: directory.path)
  }
}

/// The bombs of issue 11 against a real server process: each fails by its own limit, the server
/// stays up, and its memory comes back to where it was.
@Suite("Hostile workflows end to end", .serialized)
struct HostileWorkflowsEndToEndTests {
  static func residentMiB(_ pid: Int32) -> Double {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
  }

  /// Each bomb, the run-time limit of the tenant that runs it (long for the memory bombs, so that
  /// a slow machine cannot make them fail by time instead), and the error it must fail with.
  static let bombs: [(name: String, definition: String, seconds: Int64, error: String)] = [
    (
      "replace",
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},
                 {"id": "x", "type": "expression", "data": {"expression": "input.replace('a', input)"}}],
       "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "x"}]}
      """,
      120,
      "value too large"
    ),
    (
      "concat",
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},
                 {"id": "c", "type": "text_operation", "data": {"text_op": "concat"}}],
       "edges": [{"source": "t", "target": "r"}\(String(repeating: #", {"source": "r", "target": "c"}"#, count: 64))]}
      """,
      120,
      "value too large"
    ),
    (
      "trim",
      """
      {"nodes": [{"id": "t", "type": "text_input", "data": {"text": " "}},
                 {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},
                 {"id": "n", "type": "range", "data": {"start": 0, "end": 9998}},
                 {"id": "f", "type": "filter", "data": {"condition": "node.r.trim().length > 0"}}],
       "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"}, {"source": "n", "target": "f"}]}
      """,
      2,
      "DEADLINE_EXCEEDED"
    ),
  ]

  @Test(
    "replace, concat and trim bombs fail by their limits; the server stays up and gives memory back",
    .enabled(if: FileManager.default.isExecutableFile(atPath: BinaryTests.binary.path))
  )
  func bombs() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let socket = directory.path + "/s.sock"
    let server = try await TenancyEndToEndTests.startServer(in: directory.path)
    defer {
      // SIGTERM only: waiting here would block a thread of the pool the other tests need.
      server.terminate()
    }
    let operatorClient = ThaiyyalClient(connectingTo: .unixDomainSocket(path: socket))
    var workflows: [(client: ThaiyyalClient, id: String, error: String)] = []
    for bomb in Self.bombs {
      let client = try await signedInOwner(of: "bomb-\(bomb.name)", socket: socket, plan: .free) {
        $0.maxExecutionSeconds = bomb.seconds
      }
      let created = try await client.workflows.createWorkflow(
        .with {
          $0.name = bomb.name
          $0.definitionJson = bomb.definition
        }
      )
      workflows.append((client, created.id, bomb.error))
    }
    // Warm up (allocator arenas, caches) before taking the baseline.
    _ = try await workflows[0].client.executions.executeWorkflow(
      .with { $0.workflowID = workflows[0].id }
    )
    let baseline = Self.residentMiB(server.processIdentifier)
    for _ in 0 ..< 3 {
      for workflow in workflows {
        let execution = try await workflow.client.executions.executeWorkflow(
          .with { $0.workflowID = workflow.id }
        )
        #expect(execution.status == .failed)
        #expect(execution.error.contains(workflow.error), "\(execution.error)")
      }
    }
    #expect(try await operatorClient.health.check(.init()).status == .serving)
    let after = Self.residentMiB(server.processIdentifier)
    #expect(after - baseline < 100, "resident memory grew from \(baseline) to \(after) MiB")
    for workflow in workflows { await workflow.client.close() }
    await operatorClient.close()
  }
}
