import Foundation
public import ThaiyyalCore
import ThaiyyalProto
public import ThaiyyalRPC
public import ThaiyyalStore

/// The one place domain failures become wire statuses.
extension DomainError: RPCErrorConvertible {
  public var rpcError: RPCError {
    switch self {
    case .notFound(let resource, let id):
      return RPCError(.notFound, "\(resource) \(id) not found")
    case .alreadyExists(let resource, let field):
      return RPCError(
        .alreadyExists,
        "a \(resource) with this \(field) already exists",
        details: [
          .errorInfo(reason: "ALREADY_EXISTS", metadata: ["resource": resource, "field": field])
        ]
      )
    case .invalidArgument(let field, let reason):
      return RPCError(
        .invalidArgument,
        "\(field): \(reason)",
        details: [.badRequest([(field, reason)])]
      )
    case .failedPrecondition(let reason, let detail):
      return RPCError(.failedPrecondition, detail, details: [.errorInfo(reason: reason)])
    case .conflict(let resource):
      return RPCError(
        .aborted,
        "the \(resource) changed since it was read; read it again and retry",
        details: [.errorInfo(reason: "CONFLICT", metadata: ["resource": resource])]
      )
    case .quotaExceeded(let violation):
      var metadata = [
        "quota": violation.quota.rawValue,
        "limit": String(violation.limit),
        "usage": String(violation.used),
      ]
      if let resetsAt = violation.resetsAt {
        metadata["reset_time"] = Timestamps.rfc3339(milliseconds: resetsAt)
      }
      return RPCError(
        .resourceExhausted,
        "\(violation.quota.rawValue) quota exceeded: \(violation.used) of \(violation.limit) used",
        details: [.errorInfo(reason: "QUOTA_EXCEEDED", metadata: metadata)]
      )
    case .permissionDenied(let detail, let reason):
      return RPCError(
        .permissionDenied,
        detail,
        details: reason.map { [.errorInfo(reason: $0)] } ?? []
      )
    }
  }
}

/// Field checks collected so a request gets every problem at once.
struct Violations {
  private(set) var items: [(field: String, description: String)] = []

  mutating func check(_ condition: Bool, _ field: String, _ description: @autoclosure () -> String)
  {
    if !condition { items.append((field, description())) }
  }

  /// `INVALID_ARGUMENT` with a `BadRequest` listing every violation, if there is one.
  func throwIfAny() throws(RPCError) {
    guard !items.isEmpty else { return }
    let summary = items.map { "\($0.field): \($0.description)" }.joined(separator: "; ")
    throw RPCError(.invalidArgument, summary, details: [.badRequest(items)])
  }
}

enum Timestamps {
  static func rfc3339(milliseconds: Int64) -> String {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(
      .iso8601.year().month().day().time(includingFractionalSeconds: true)
    )
  }
}

/// The database is unreachable or its connection broke: the caller may retry, and the server
/// keeps serving what needs no database (Health) and reconnects by itself.
extension StoreUnavailable: RPCErrorConvertible {
  public var rpcError: RPCError {
    RPCError(
      .unavailable,
      "the database is unavailable; retry shortly",
      details: [.errorInfo(reason: "DATABASE_UNAVAILABLE"), .retryInfo(after: .seconds(1))]
    )
  }
}
