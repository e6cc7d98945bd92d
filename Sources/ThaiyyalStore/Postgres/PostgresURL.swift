import Foundation

/// Where a PostgreSQL database is and who connects: parsed from
/// `postgres://user[:password]@host[:port]/database`, where the host may be a Unix-socket
/// directory (`postgres://user@%2Fvar%2Frun%2Fpostgresql/db`, or `?host=/var/run/postgresql`).
///
/// Its description never shows the password, so it may be logged.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
  public enum Endpoint: Sendable, Hashable {
    case tcp(host: String, port: Int)
    /// The socket file `<directory>/.s.PGSQL.<port>`, as libpq names it.
    case unixSocket(directory: String, port: Int)
  }

  public var endpoint: Endpoint
  public var username: String
  public var password: String?
  public var database: String

  public init(endpoint: Endpoint, username: String, password: String?, database: String) {
    self.endpoint = endpoint
    self.username = username
    self.password = password
    self.database = database
  }

  /// - Throws: ``StoreError/invalidDatabaseURL(_:)`` naming what is wrong (never the password).
  public init(parsing text: String) throws {
    guard let components = URLComponents(string: text),
      let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
    else {
      throw StoreError.invalidDatabaseURL("expected postgres://user@host:port/database")
    }
    guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
      throw StoreError.invalidDatabaseURL("the URL names no user")
    }
    let database = String(components.path.drop { $0 == "/" })
    guard !database.isEmpty, !database.contains("/") else {
      throw StoreError.invalidDatabaseURL("the URL names no database (…/DATABASE)")
    }
    var query: [String: String] = [:]
    for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
    for (name, value) in query {
      switch (name, value) {
      case ("host", _), ("port", _): continue
      case ("sslmode", "disable"): continue
      case ("sslmode", _):
        throw StoreError.invalidDatabaseURL(
          "sslmode=\(value) is not supported: connect over a Unix socket or loopback with sslmode=disable"
        )
      default:
        throw StoreError.invalidDatabaseURL("unknown parameter \(name)")
      }
    }
    guard let port = components.port ?? Int(query["port"] ?? "5432"), (1 ... 65535).contains(port)
    else {
      throw StoreError.invalidDatabaseURL("the port is not a number from 1 to 65535")
    }
    let host = query["host"] ?? components.percentEncodedHost?.removingPercentEncoding ?? ""
    if host.hasPrefix("/") {
      endpoint = .unixSocket(directory: host, port: port)
    } else if !host.isEmpty {
      endpoint = .tcp(host: host, port: port)
    } else {
      throw StoreError.invalidDatabaseURL("the URL names no host")
    }
    username = user
    password = components.percentEncodedPassword?.removingPercentEncoding
    self.database = database
  }

  public var description: String { text(secret: password == nil ? "" : ":***") }

  /// The URL with its password, for handing to another process; never for logs.
  public var connectionString: String {
    text(secret: password.map { ":" + Self.encoded($0) } ?? "")
  }

  private func text(secret: String) -> String {
    let user = Self.encoded(username)
    switch endpoint {
    case .tcp(let host, let port):
      return "postgres://\(user)\(secret)@\(host):\(port)/\(Self.encoded(database))"
    case .unixSocket(let directory, let port):
      return "postgres://\(user)\(secret)@/\(Self.encoded(database))?host=\(directory)&port=\(port)"
    }
  }

  private static func encoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
  }
}
