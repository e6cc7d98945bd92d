/// Proof that a call acts inside one tenant.
///
/// Repositories of tenant-owned data are reachable only from a scope, and every statement they run
/// binds `scope.tenantID`, so a query that forgets the tenant cannot be written by accident.
///
/// Only tenant resolution and the operator's explicit cross-tenant paths make scopes: the
/// initialiser is SPI, so a file must opt in with `@_spi(TenantScopeIssuance) import ThaiyyalCore`
/// to make one, and a test pins which files do.
public struct TenantScope: Sendable, Hashable {
  public let tenantID: TenantID

  @_spi(TenantScopeIssuance)
  public init(_ tenantID: TenantID) {
    self.tenantID = tenantID
  }
}
