/// Proof that a call acts inside one tenant.
///
/// Repositories of tenant-owned data are reachable only from a scope, and every statement they run
/// binds `scope.tenantID`, so a query that forgets the tenant cannot be written by accident.
/// The server makes a scope only after resolving and authorizing the caller's tenant.
public struct TenantScope: Sendable, Hashable {
  public let tenantID: TenantID

  public init(_ tenantID: TenantID) {
    self.tenantID = tenantID
  }
}
