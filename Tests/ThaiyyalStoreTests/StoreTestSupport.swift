import Foundation
import GRDB
// The store is tested as its own caller: these tests make tenant scopes directly.
@_spi(TenantScopeIssuance) import ThaiyyalCore
import ThaiyyalTesting

@testable import ThaiyyalStore

/// A fresh store in a temporary directory, closed and deleted after `body`.
func withStore<T>(
  observer: (@Sendable (String) -> Void)? = nil,
  _ body: (SQLiteStore, String) async throws -> T
) async throws -> T {
  let directory = try TemporaryDirectory()
  defer { directory.remove() }
  var configuration = StoreConfiguration(path: directory.path + "/test.db")
  configuration.synchronous = .normal
  configuration.statementObserver = observer
  let store = try SQLiteStore(configuration: configuration)
  defer { try? store.close() }
  return try await body(store, directory.path)
}

/// A tenant and its owner, inserted directly.
@discardableResult
func makeTenant(
  _ store: any Persistence,
  _ slug: String,
  limits: PlanLimits = PlanCatalog.standard.limits[.free]!
)
  async throws -> (Tenant, User)
{
  let tenant = sampleTenant(slug)
  let owner = makeUser(tenant.id, "owner", role: .owner)
  try await store.write { tx in
    try tx.tenants.create(tenant)
    try tx.scoped(TenantScope(tenant.id)).users.create(owner, passwordHash: "x", limits: limits)
  }
  return (tenant, owner)
}

/// An active free tenant named after its slug, not yet stored.
func sampleTenant(_ slug: String) -> Tenant {
  let now = Int64(Clock.nowMilliseconds())
  return Tenant(
    id: .generate(),
    slug: slug,
    name: slug,
    status: .active,
    plan: .free,
    limitOverrides: PlanLimits(),
    settingsJSON: "{}",
    customDomain: nil,
    createdAt: now,
    updatedAt: now,
    deletedAt: nil,
    revision: 1
  )
}

func makeUser(_ tenant: TenantID, _ name: String, role: Role = .member) -> User {
  let now = Int64(Clock.nowMilliseconds())
  return User(
    tenantID: tenant,
    id: .generate(),
    email: "\(name)@example.com",
    username: name,
    displayName: name,
    role: role,
    status: .active,
    createdAt: now,
    updatedAt: now
  )
}

extension StoreTransaction {
  /// The SQLite connection under a transaction, for tests that reach past the repositories.
  var db: GRDB.Database { ((self as! SQLTransaction).connection as! GRDBConnection).db }
}
