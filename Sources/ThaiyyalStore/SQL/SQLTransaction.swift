import ThaiyyalCore

/// One transaction's repositories over a connection of either backend.
struct SQLTransaction: StoreTransaction {
  let connection: any SQLConnection

  var tenants: any TenantRepository { SQLTenantRepository(db: connection) }

  func scoped(_ scope: TenantScope) throws -> any ScopedRepositories {
    try connection.enter(tenant: scope.tenantID)
    return SQLScopedRepositories(db: connection, tenantID: scope.tenantID)
  }
}

/// One tenant's repositories in a transaction; every statement binds `tenantID`.
struct SQLScopedRepositories: ScopedRepositories {
  let db: any SQLConnection
  let tenantID: TenantID

  var users: any UserRepository { SQLUserRepository(db: db, tenantID: tenantID) }
  var workflows: any WorkflowRepository { SQLWorkflowRepository(db: db, tenantID: tenantID) }
  var executions: any ExecutionRepository { SQLExecutionRepository(db: db, tenantID: tenantID) }
  var usage: any UsageRepository { SQLUsageRepository(db: db, tenantID: tenantID) }
  var audit: any AuditRepository { SQLAuditRepository(db: db, tenantID: tenantID) }
  var archive: any TenantArchiveRepository {
    SQLTenantArchiveRepository(db: db, tenantID: tenantID)
  }
}
