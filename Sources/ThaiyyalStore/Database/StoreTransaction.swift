import Foundation
import GRDB
public import ThaiyyalCore

/// One transaction's view of the store: platform-level tables directly, tenant-owned tables only
/// through ``scoped(_:)``.
public struct StoreTransaction {
  let db: Database

  /// Tenants themselves (platform level: the operator's view).
  public var tenants: TenantRepository { TenantRepository(db: db) }

  /// The repositories of one tenant's data; every statement they run binds `scope.tenantID`.
  public func scoped(_ scope: TenantScope) -> ScopedRepositories {
    ScopedRepositories(db: db, tenantID: scope.tenantID)
  }
}

/// Repositories of one tenant's data.
public struct ScopedRepositories {
  let db: Database
  /// The tenant every repository here is bound to.
  public let tenantID: TenantID

  public var users: UserRepository { UserRepository(db: db, tenantID: tenantID) }
  public var audit: AuditRepository { AuditRepository(db: db, tenantID: tenantID) }
  public var usage: UsageRepository { UsageRepository(db: db, tenantID: tenantID) }
  public var workflows: WorkflowRepository { WorkflowRepository(db: db, tenantID: tenantID) }
  public var executions: ExecutionRepository { ExecutionRepository(db: db, tenantID: tenantID) }
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
