import Testing
import ThaiyyalStore

@Suite("PostgreSQL URL")
struct PostgresURLTests {
  @Test("TCP and Unix-socket forms parse; the description hides the password")
  func forms() throws {
    let tcp = try PostgresURL(parsing: "postgres://app:s%40cret@db.internal:6543/thaiyyal")
    #expect(tcp.endpoint == .tcp(host: "db.internal", port: 6543))
    #expect(tcp.username == "app")
    #expect(tcp.password == "s@cret")
    #expect(tcp.database == "thaiyyal")
    #expect(!tcp.description.contains("cret"))
    #expect(tcp.description == "postgres://app:***@db.internal:6543/thaiyyal")
    #expect(try PostgresURL(parsing: tcp.connectionString) == tcp, "the full form round-trips")

    let encodedHost = try PostgresURL(parsing: "postgresql://app@%2Fvar%2Frun%2Fpostgresql/t")
    #expect(encodedHost.endpoint == .unixSocket(directory: "/var/run/postgresql", port: 5432))
    let query = try PostgresURL(parsing: "postgres://app@/t?host=/tmp/pg&port=5433")
    #expect(query.endpoint == .unixSocket(directory: "/tmp/pg", port: 5433))
    #expect(query.password == nil)
    #expect(try PostgresURL(parsing: query.connectionString) == query)
  }

  @Test(
    "a URL that cannot be used is refused with the reason, never the password",
    arguments: [
      "mysql://app:hunter2@h/db", "postgres://h:5432/db", "postgres://app:hunter2@h:5432/",
      "postgres://app:hunter2@h/db?sslmode=require", "postgres://app:hunter2@h/db?search=x",
      "postgres://app:hunter2@/db",
    ]
  )
  func refused(text: String) {
    #expect {
      try PostgresURL(parsing: text)
    } throws: { error in
      guard case .invalidDatabaseURL(let reason) = error as? StoreError else { return false }
      return !reason.contains("hunter2") && !"\(error)".contains("hunter2")
    }
  }
}
