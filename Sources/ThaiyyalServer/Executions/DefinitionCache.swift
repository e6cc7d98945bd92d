import Synchronization
import ThaiyyalCore
import ThaiyyalEngine

/// Decoded definitions of stored workflow versions, so a version run again and again is read and
/// decoded once, not on every run.
///
/// Versions never change, so entries are never stale; the key carries the engine's limits too,
/// because a definition is validated under them (a plan change makes new entries). The cache is
/// bounded by the decoded workflows' estimated size and by count, and is emptied when either is
/// reached: a tenant's large definitions can push others out but cannot grow memory.
final class DefinitionCache: Sendable {
  struct Key: Hashable, Sendable {
    let tenantID: TenantID
    let workflowID: WorkflowID
    let version: Int64
    let limits: EngineLimits
  }

  private let maxBytes: Int
  private let maxEntries: Int
  private let state = Mutex<State>(State())

  private struct State {
    var entries: [Key: Workflow] = [:]
    var bytes = 0
  }

  /// What a decoded workflow takes per byte of its definition's text, about: node data stays
  /// JSON values (decoding a 500-node, 89 KB definition grows a process by about 0.8 MB with the
  /// text and its parse tree still held).
  static let decodedBytesPerTextByte = 4

  init(maxBytes: Int = 32 << 20, maxEntries: Int = 2048) {
    self.maxBytes = maxBytes
    self.maxEntries = maxEntries
  }

  func workflow(for key: Key) -> Workflow? {
    state.withLock { $0.entries[key] }
  }

  /// Keeps `workflow`, which takes about `bytes` bytes decoded; one larger than a quarter of the
  /// cache is not kept.
  func store(_ workflow: Workflow, bytes: Int, for key: Key) {
    guard bytes <= maxBytes / 4 else { return }
    state.withLock { state in
      guard state.entries[key] == nil else { return }
      if state.bytes + bytes > maxBytes || state.entries.count >= maxEntries {
        state.entries.removeAll(keepingCapacity: true)
        state.bytes = 0
      }
      state.entries[key] = workflow
      state.bytes += bytes
    }
  }

  /// How many definitions are kept, for tests.
  var count: Int { state.withLock { $0.entries.count } }
}
