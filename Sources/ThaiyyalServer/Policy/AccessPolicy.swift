import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC

/// Who may call a method, and whether it changes data (so a suspended tenant refuses it).
struct AccessPolicy: Sendable, Hashable {
  enum Rule: Sendable, Hashable {
    /// Anyone, without credentials.
    case `public`
    /// Any authenticated caller: a user of any role, or the operator.
    case authenticated
    /// Only the platform operator.
    case `operator`
    /// A user of the resolved tenant with at least this role, or the operator.
    case member(Role)
  }

  var rule: Rule
  /// Changes data: refused with `FAILED_PRECONDITION` (`TENANT_SUSPENDED`) in a suspended tenant.
  var mutates: Bool

  static func `public`(mutates: Bool = false) -> Self { .init(rule: .public, mutates: mutates) }
  static func authenticated(mutates: Bool = false) -> Self {
    .init(rule: .authenticated, mutates: mutates)
  }
  static func `operator`(mutates: Bool = true) -> Self { .init(rule: .operator, mutates: mutates) }
  static func member(_ role: Role, mutates: Bool) -> Self {
    .init(rule: .member(role), mutates: mutates)
  }
}

/// The one table from every RPC method to its access policy. A method missing here is refused
/// (`PERMISSION_DENIED`), and a test fails when a registered method has no entry.
enum AccessPolicies {
  static let table: [MethodDescriptor: AccessPolicy] = {
    var table: [MethodDescriptor: AccessPolicy] = [:]
    func add(_ method: MethodDescriptor, _ policy: AccessPolicy) { table[method] = policy }

    add(Thaiyyal_V1_Health.Method.check, .public())

    typealias Tenants = Thaiyyal_V1_TenantService.Method
    add(Tenants.createTenant, .operator())
    add(Tenants.getTenant, .member(.viewer, mutates: false))
    add(Tenants.listTenants, .operator(mutates: false))
    add(Tenants.updateTenant, .member(.owner, mutates: true))
    add(Tenants.suspendTenant, .operator())
    add(Tenants.resumeTenant, .operator())
    add(Tenants.deleteTenant, .operator())
    add(Tenants.purgeTenant, .operator())
    add(Tenants.getUsage, .member(.viewer, mutates: false))

    typealias Users = Thaiyyal_V1_UserService.Method
    add(Users.login, .public())
    add(Users.whoAmI, .authenticated())
    add(Users.createUser, .member(.admin, mutates: true))
    add(Users.getUser, .member(.viewer, mutates: false))
    add(Users.listUsers, .member(.viewer, mutates: false))
    add(Users.updateUser, .member(.viewer, mutates: true))
    add(Users.suspendUser, .member(.admin, mutates: true))
    add(Users.resumeUser, .member(.admin, mutates: true))
    add(Users.deleteUser, .member(.admin, mutates: true))
    add(Users.changePassword, .member(.viewer, mutates: true))
    add(Users.logout, .authenticated(mutates: false))

    typealias Workflows = Thaiyyal_V1_WorkflowService.Method
    for method in [
      Workflows.getWorkflow, Workflows.listWorkflows, Workflows.listWorkflowVersions,
      Workflows.getWorkflowVersion, Workflows.validateWorkflow,
    ] {
      add(method, .member(.viewer, mutates: false))
    }
    for method in [
      Workflows.createWorkflow, Workflows.updateWorkflow, Workflows.deleteWorkflow,
      Workflows.rollbackWorkflow, Workflows.publishWorkflow, Workflows.unpublishWorkflow,
    ] {
      add(method, .member(.member, mutates: true))
    }

    typealias Executions = Thaiyyal_V1_ExecutionService.Method
    add(Executions.executeWorkflow, .member(.member, mutates: true))
    add(Executions.startExecution, .member(.member, mutates: true))
    add(Executions.cancelExecution, .member(.member, mutates: true))
    add(Executions.getExecution, .member(.viewer, mutates: false))
    add(Executions.listExecutions, .member(.viewer, mutates: false))

    typealias Audit = Thaiyyal_V1_AuditService.Method
    add(Audit.listAuditLogs, .member(.admin, mutates: false))
    add(Audit.getAuditLog, .member(.admin, mutates: false))
    return table
  }()
}
