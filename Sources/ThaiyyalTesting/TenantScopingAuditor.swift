import Foundation
import Synchronization

/// Watches every SQL statement a test server runs and remembers each one that touches a
/// tenant-owned table without a `tenant_id` predicate. ``withTestServer(_:configure:_:)`` installs
/// one for every test and fails the test when it caught anything, so the whole suite doubles as a
/// check that no query forgets its tenant.
public final class TenantScopingAuditor: Sendable {
  /// Tables whose rows belong to one tenant.
  public static let tenantOwnedTables = [
    "users", "workflows", "workflow_versions", "workflow_executions", "audit_logs", "quota_usage",
  ]

  private let state = Mutex<(statements: Int, violations: [String])>((0, []))

  public init() {}

  public var violations: [String] { state.withLock { $0.violations } }
  public var statementsSeen: Int { state.withLock { $0.statements } }

  /// Records one statement.
  public func observe(_ sql: String) {
    let violation = Self.isUnscoped(sql)
    state.withLock { state in
      state.statements += 1
      if violation { state.violations.append(sql) }
    }
  }

  /// Whether `sql` reads or writes a tenant-owned table without naming `tenant_id`.
  public static func isUnscoped(_ sql: String) -> Bool {
    let text = sql.lowercased()
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    // Schema changes (migrations) and pragmas are not data access.
    for prefix in [
      "create ", "drop ", "alter ", "pragma ", "begin", "commit", "rollback", "savepoint",
      "release",
    ]
    where trimmed.hasPrefix(prefix) {
      return false
    }
    let words = text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(
      String.init
    )
    var touchesTenantTable = false
    for (index, word) in words.enumerated() where ["from", "into", "update", "join"].contains(word)
    {
      if index + 1 < words.count, tenantOwnedTables.contains(words[index + 1]) {
        touchesTenantTable = true
      }
    }
    return touchesTenantTable && !words.contains("tenant_id")
  }
}
