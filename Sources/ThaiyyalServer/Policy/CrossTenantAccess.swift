@_spi(TenantScopeIssuance) import ThaiyyalCore

/// The operator's and the server's own work across tenants, through one explicit door: tenant
/// administration, start-up recovery, retention, and the audit entries of refused calls.
///
/// Isolation is not switched off for it: each use names the one tenant it acts in and why, and the
/// work it does there is audited like any other (as the operator or the system). One of the two
/// files that may make a ``TenantScope`` (the other is ``TenantResolution``).
enum CrossTenantAccess {
  /// Why the server acts in a tenant no call resolved.
  enum Purpose: String, Sendable {
    /// The operator creates, changes, suspends, deletes, purges or reads a tenant.
    case tenantAdministration
    /// The operator writes a tenant to an archive, or loads one into this installation.
    case tenantMove
    /// Runs a previous process left unfinished are failed or re-queued at start-up.
    case executionRecovery
    /// Executions waiting in a busy server's queue are taken over by an idle server.
    case executionSharing
    /// Finished runs past the plan's retention are deleted.
    case executionRetention
    /// Each tenant's quota usage is read for the operator's metrics.
    case metrics
    /// A refused call is recorded in the log of the tenant it was aimed at.
    case refusedCallAudit
  }

  /// The scope of `tenantID`, for `purpose` alone.
  static func scope(of tenantID: TenantID, for purpose: Purpose) -> TenantScope {
    TenantScope(tenantID)
  }
}
