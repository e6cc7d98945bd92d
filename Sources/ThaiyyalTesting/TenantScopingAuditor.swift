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

  /// Whether `sql` reads or writes a tenant-owned table without constraining it by tenant.
  ///
  /// A statement passes only when every tenant-owned table it names is constrained by `tenant_id`
  /// in a `WHERE` or `ON` predicate (qualified by the table's alias or name when the statement
  /// names more than one), or, for the table an `INSERT` writes, when its column list carries
  /// `tenant_id`. Naming `tenant_id` elsewhere (a column list of a `SELECT`, a `SET`) proves
  /// nothing.
  public static func isUnscoped(_ sql: String) -> Bool {
    let text = sql.lowercased()
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    // Schema changes (migrations), pragmas and transaction control are not data access.
    for prefix in [
      "create ", "drop ", "alter ", "pragma ", "begin", "commit", "rollback", "savepoint",
      "release",
    ]
    where trimmed.hasPrefix(prefix) {
      return false
    }
    let tokens = tokenize(text)
    let clauseEnds: Set<String> = [
      "group", "order", "limit", "having", "returning", "values", "set",
    ]
    let keywords: Set<String> = [
      "where", "on", "join", "inner", "left", "cross", "set", "values", "order", "group", "limit",
      "as", "select", "from", "(", ")", ",", "using", "natural", "outer", "union", "default",
    ]

    // Each SELECT (the statement, and every parenthesised subquery) is checked on its own: its
    // table references against its own WHERE and ON predicates.
    final class Scope {
      var references: [(table: String, qualifier: String)] = []
      var predicates: Set<String> = []
      var inPredicate = false
      /// Inside `FROM a, b, …`, where a comma names another table.
      var inFromList = false
    }
    var scopes = [Scope()]
    var parentheses: [Bool] = []  // for each open "(", whether it opened a subquery
    var unscoped = false
    func finish(_ scope: Scope) {
      let qualifiers = Set(scope.references.map(\.qualifier))
      for reference in scope.references {
        let qualified = scope.predicates.contains(reference.qualifier + ".tenant_id")
        let bare = qualifiers.count == 1 && scope.predicates.contains("tenant_id")
        if !(qualified || bare) { unscoped = true }
      }
    }

    var index = 0
    while index < tokens.count {
      let token = tokens[index]
      let scope = scopes[scopes.count - 1]
      switch token {
      case "(":
        let opensSubquery = index + 1 < tokens.count && tokens[index + 1] == "select"
        parentheses.append(opensSubquery)
        if opensSubquery { scopes.append(Scope()) }
      case ")":
        if parentheses.popLast() == true, scopes.count > 1 { finish(scopes.removeLast()) }
      case "from", "join", "update", "into", ",":
        if token == "," && !scope.inFromList { break }
        if token == "from" { scope.inFromList = true }
        guard index + 1 < tokens.count, tenantOwnedTables.contains(tokens[index + 1]) else { break }
        let table = tokens[index + 1]
        var next = index + 2
        if next < tokens.count, tokens[next] == "as" { next += 1 }
        let hasAlias =
          next < tokens.count && !keywords.contains(tokens[next]) && !tokens[next].contains(".")
        if token == "into" {
          // The row an INSERT writes must carry its tenant in the column list.
          var columns: Set<String> = []
          if next < tokens.count, tokens[next] == "(" {
            var column = next + 1
            while column < tokens.count, tokens[column] != ")" {
              columns.insert(tokens[column])
              column += 1
            }
          }
          if !columns.contains("tenant_id") { unscoped = true }
        } else {
          scope.references.append((table, hasAlias ? tokens[next] : table))
        }
      case "where", "on":
        scope.inPredicate = true
        scope.inFromList = false
      default:
        if clauseEnds.contains(token) { scope.inPredicate = false }
        if ["join", "group", "order", "limit"].contains(token) { scope.inFromList = false }
      }
      if scope.inPredicate { scope.predicates.insert(token) }
      index += 1
    }
    for scope in scopes { finish(scope) }
    return unscoped
  }

  /// Words (with `alias.column` kept whole) and the punctuation the checks need.
  private static func tokenize(_ text: String) -> [String] {
    var tokens: [String] = []
    var current = ""
    for character in text {
      if character.isLetter || character.isNumber || character == "_" || character == "." {
        current.append(character)
      } else {
        if !current.isEmpty {
          tokens.append(current)
          current = ""
        }
        if "(),".contains(character) { tokens.append(String(character)) }
      }
    }
    if !current.isEmpty { tokens.append(current) }
    return tokens
  }
}
