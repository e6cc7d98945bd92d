import Foundation
import GRDB
import ThaiyyalCore

/// One SQLite transaction: repositories over the connection GRDB lends for its duration.
struct SQLiteTransaction: StoreTransaction {
  let db: Database

  var tenants: any TenantRepository { SQLiteTenantRepository(db: db) }

  func scoped(_ scope: TenantScope) -> any ScopedRepositories {
    SQLiteScopedRepositories(db: db, tenantID: scope.tenantID)
  }
}

/// One tenant's repositories in a SQLite transaction; every statement binds `tenantID`.
struct SQLiteScopedRepositories: ScopedRepositories {
  let db: Database
  let tenantID: TenantID

  var users: any UserRepository { SQLiteUserRepository(db: db, tenantID: tenantID) }
  var workflows: any WorkflowRepository { SQLiteWorkflowRepository(db: db, tenantID: tenantID) }
  var executions: any ExecutionRepository {
    SQLiteExecutionRepository(db: db, tenantID: tenantID)
  }
  var usage: any UsageRepository { SQLiteUsageRepository(db: db, tenantID: tenantID) }
  var audit: any AuditRepository { SQLiteAuditRepository(db: db, tenantID: tenantID) }
}

extension DatabaseError {
  /// For a UNIQUE constraint failure, the column named in SQLite's message
  /// (`UNIQUE constraint failed: tenants.slug` → `slug`).
  var uniqueColumn: String? {
    guard resultCode == .SQLITE_CONSTRAINT, extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE,
      let message, let range = message.range(of: "UNIQUE constraint failed: ")
    else { return nil }
    let columns = message[range.upperBound...].split(separator: ",").map {
      $0.split(separator: ".").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
    }
    return columns.last { $0 != "tenant_id" }
  }
}
