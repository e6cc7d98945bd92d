import Testing
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalTesting

@testable import ThaiyyalServer

@Suite("Access policy")
struct AccessPolicyTests {
  @Test("every registered method has an access policy, and every policy names a registered method")
  func complete() async throws {
    try await withTestServer(.inProcess) { server in
      let registered = Set(server.application.handlerTable.handlers.keys)
      let covered = Set(AccessPolicies.table.keys)
      #expect(
        registered.subtracting(covered).isEmpty,
        "methods without a policy: \(registered.subtracting(covered))"
      )
      #expect(
        covered.subtracting(registered).isEmpty,
        "policies for unknown methods: \(covered.subtracting(registered))"
      )
    }
  }

  @Test("only Health/Check and Login are public")
  func publicMethods() {
    let publicMethods = AccessPolicies.table.filter { $0.value.rule == .public }.keys
    #expect(
      Set(publicMethods) == [Thaiyyal_V1_Health.Method.check, Thaiyyal_V1_UserService.Method.login]
    )
  }

  @Test("tenant lifecycle methods are operator-only")
  func operatorOnly() {
    typealias Tenants = Thaiyyal_V1_TenantService.Method
    for method in [
      Tenants.createTenant, Tenants.listTenants, Tenants.suspendTenant, Tenants.resumeTenant,
      Tenants.deleteTenant, Tenants.purgeTenant,
    ] {
      #expect(AccessPolicies.table[method]?.rule == .operator, "\(method)")
    }
  }
}
