import Foundation
import ThaiyyalCore

/// The WHERE clause of a tenant's list query, built filter by filter. It starts with the tenant
/// predicate, so a list cannot leave it out.
struct Conditions {
  private(set) var clauses: [String]
  private(set) var arguments: SQLArguments

  init(tenantID: TenantID) {
    clauses = ["tenant_id = ?"]
    arguments = [tenantID.rawValue]
  }

  /// Adds `clause` with its `values` bound in order.
  mutating func add(_ clause: String, _ values: SQLArguments) {
    clauses.append(clause)
    arguments += SQLArguments(values)
  }

  /// Adds `column = value` when a value is given.
  mutating func equal(_ column: String, _ value: (any SQLBindable)?) {
    if let value { add("\(column) = ?", [value]) }
  }

  /// Adds `column LIKE 'prefix%'`, with the prefix's wildcards escaped.
  mutating func hasPrefix(_ column: String, _ prefix: String?) {
    guard let prefix, !prefix.isEmpty else { return }
    add("\(column) LIKE ? ESCAPE '\\'", [Self.likePattern(prefix: prefix)])
  }

  static func likePattern(prefix: String) -> String {
    prefix.replacingOccurrences(of: "\\", with: "\\\\")
      .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
  }

  var sql: String { clauses.joined(separator: " AND ") }
}
