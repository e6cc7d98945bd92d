import SwiftProtobuf
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.UserService`: users of the caller's tenant, passwords and tokens. Checks the
/// messages and maps them to ``Accounts`` and ``SignIn``, which own the rules.
struct UserService: Thaiyyal_V1_UserService.ServiceProtocol {
  let accounts: Accounts
  let signIn: SignIn
  let identities: IdentityDirectory

  func login(
    request: Thaiyyal_V1_LoginRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_LoginResponse {
    let session = try await signIn.signIn(
      tenant: request.tenant,
      login: request.login,
      password: request.password,
      context: context
    )
    var response = Thaiyyal_V1_LoginResponse()
    response.accessToken = session.token
    response.tokenType = "Bearer"
    response.expireTime = Google_Protobuf_Timestamp(milliseconds: session.expiresAt)
    response.user = session.user.proto(at: session.signedInAt)
    return response
  }

  func whoAmI(
    request: Thaiyyal_V1_WhoAmIRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_WhoAmIResponse {
    var response = Thaiyyal_V1_WhoAmIResponse()
    if let tenant = context.resolvedTenant {
      response.tenantID = tenant.id.rawValue
      response.tenantSlug = tenant.slug
    }
    switch try context.requirePrincipal() {
    case .operator:
      response.operator = true
    case .user(let id, let tenantID, _):
      guard let user = try await identities.user(id, in: tenantID) else {
        throw RPCError.unauthenticatedCall
      }
      response.user = user.proto(at: try context.requireTenantCall().now)
      response.tenantID = tenantID.rawValue
    }
    return response
  }

  func createUser(
    request: Thaiyyal_V1_CreateUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    var violations = Violations()
    UserFields.checkEmail(request.email, field: "email", &violations)
    UserFields.checkUsername(request.username, field: "username", &violations)
    UserFields.checkDisplayName(request.displayName, field: "display_name", &violations)
    if let problem = PasswordHasher.policyViolation(request.password) {
      violations.check(false, "password", problem)
    }
    let role = request.role == .unspecified ? .member : Role(request.role)
    violations.check(role != nil, "role", "unknown value")
    try violations.throwIfAny()
    let new = Accounts.NewUser(
      email: request.email,
      username: request.username,
      displayName: request.displayName,
      role: role!,
      password: request.password
    )
    let call = try context.requireTenantCall()
    return try await accounts.create(new, in: call).proto(at: call.now)
  }

  func getUser(
    request: Thaiyyal_V1_GetUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let call = try context.requireTenantCall()
    return try await accounts.user(request.id, in: call).proto(at: call.now)
  }

  func listUsers(
    request: Thaiyyal_V1_ListUsersRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListUsersResponse {
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    var filter = UserFilter()
    var violations = Violations()
    if request.role != .unspecified {
      filter.role = Role(request.role)
      violations.check(filter.role != nil, "role", "unknown value")
    }
    switch request.status {
    case .unspecified: filter.status = nil
    case .active: filter.status = .active
    case .suspended: filter.status = .suspended
    default: violations.check(false, "status", "filter by ACTIVE or SUSPENDED")
    }
    violations.check(request.prefix.utf8.count <= 320, "prefix", "too long")
    try violations.throwIfAny()
    filter.prefix = request.prefix
    let call = try context.requireTenantCall()
    let result = try await accounts.list(filter, page: page, in: call)
    var response = Thaiyyal_V1_ListUsersResponse()
    response.users = result.items.map { $0.proto(at: call.now) }
    response.nextPageToken = PageToken.encode(result.nextCursor)
    return response
  }

  func updateUser(
    request: Thaiyyal_V1_UpdateUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let paths = Set(request.updateMask.paths)
    var violations = Violations()
    violations.check(!paths.isEmpty, "update_mask", "names no field")
    for path in paths.subtracting(["email", "username", "display_name", "role", "password"])
      .sorted()
    {
      violations.check(false, "update_mask", "\(path) cannot be updated")
    }
    let given = request.user
    if paths.contains("password") {
      // An admin sets another user's password (a user imported without one, a forgotten one).
      violations.check(paths.count == 1, "update_mask", "password is set on its own")
      if let problem = PasswordHasher.policyViolation(request.password) {
        violations.check(false, "password", problem)
      }
      try violations.throwIfAny()
      let call = try context.requireTenantCall()
      return try await accounts.setPassword(given.id, request.password, in: call).proto(
        at: call.now
      )
    }
    var edit = Accounts.Edit()
    if paths.contains("email") {
      UserFields.checkEmail(given.email, field: "user.email", &violations)
      edit.email = given.email
    }
    if paths.contains("username") {
      UserFields.checkUsername(given.username, field: "user.username", &violations)
      edit.username = given.username
    }
    if paths.contains("display_name") {
      UserFields.checkDisplayName(given.displayName, field: "user.display_name", &violations)
      edit.displayName = given.displayName
    }
    if paths.contains("role") {
      edit.role = Role(given.role)
      violations.check(edit.role != nil, "user.role", "unknown value")
    }
    try violations.throwIfAny()
    let call = try context.requireTenantCall()
    return try await accounts.update(given.id, edit, etag: request.etag, in: call).proto(
      at: call.now
    )
  }

  func suspendUser(
    request: Thaiyyal_V1_SuspendUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let call = try context.requireTenantCall()
    return try await accounts.setStatus(request.id, .suspended, in: call).proto(at: call.now)
  }

  func resumeUser(
    request: Thaiyyal_V1_ResumeUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_User {
    let call = try context.requireTenantCall()
    return try await accounts.setStatus(request.id, .active, in: call).proto(at: call.now)
  }

  func deleteUser(
    request: Thaiyyal_V1_DeleteUserRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_DeleteUserResponse {
    try await accounts.delete(request.id, in: context.requireTenantCall())
    return Thaiyyal_V1_DeleteUserResponse()
  }

  func changePassword(
    request: Thaiyyal_V1_ChangePasswordRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ChangePasswordResponse {
    let call = try context.requireTenantCall()
    if let problem = PasswordHasher.policyViolation(request.newPassword) {
      throw DomainError.invalidArgument(field: "new_password", reason: problem)
    }
    try await accounts.changePassword(
      current: request.currentPassword,
      new: request.newPassword,
      in: call
    )
    return Thaiyyal_V1_ChangePasswordResponse()
  }

  func logout(
    request: Thaiyyal_V1_LogoutRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_LogoutResponse {
    try await accounts.logout(in: context.requireTenantCall())
    return Thaiyyal_V1_LogoutResponse()
  }
}
