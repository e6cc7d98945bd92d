import Foundation

/// Builds the `changes` JSON of an audit entry: `{"field": {"old": …, "new": …}}`, fields sorted.
/// Callers never pass secrets (passwords, hashes, tokens).
struct AuditChanges {
  private var fields: [String: [String: Any]] = [:]

  mutating func set(_ field: String, old: Any? = nil, new: Any?) {
    var change: [String: Any] = [:]
    if let old { change["old"] = old }
    change["new"] = new ?? NSNull()
    fields[field] = change
  }

  /// Records `field` only when the value changed.
  mutating func compare<T: Equatable>(_ field: String, _ old: T, _ new: T) {
    if old != new { set(field, old: "\(old)", new: "\(new)") }
  }

  var isEmpty: Bool { fields.isEmpty }

  var json: String {
    guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    else {
      return "{}"
    }
    return String(decoding: data, as: UTF8.self)
  }
}
