@_spi(TenantScopeIssuance) import ThaiyyalCore

/// Where a call's tenant scope comes from: the tenant the chain resolved for the caller
/// (``TenantResolutionInterceptor``), the tenant a login names, or the tenant of a verified token.
///
/// One of the two files that may make a ``TenantScope`` (the other is ``CrossTenantAccess``).
enum TenantResolution {
  /// The scope of a tenant resolved for a caller; `nil` for a deleted tenant, which exists for no
  /// one but the operator (who may still read it until it is purged), and, on a server for one
  /// organisation (`organisation` is its tenant's slug), for every tenant but that one.
  static func scope(
    of tenant: Tenant,
    forOperator: Bool = false,
    organisation: String? = nil
  ) -> TenantScope? {
    if let organisation, tenant.slug != organisation { return nil }
    return tenant.status == .deleted && !forOperator ? nil : TenantScope(tenant.id)
  }

  /// The scope of the tenant a verified token was issued in, to read its user's current state.
  static func scope(ofTokenTenant tenantID: TenantID) -> TenantScope {
    TenantScope(tenantID)
  }
}
