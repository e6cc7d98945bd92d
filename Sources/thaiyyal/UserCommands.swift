import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalServer

/// `thaiyyal login`: exchanges a password (from standard input) for a token and keeps it for later
/// commands in a 0600 file.
struct LoginCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "login",
    abstract:
      "Sign in to a tenant (--tenant; none on a server for one organisation); the token is kept for later commands."
  )
  @OptionGroup var server: ServerAddressOptions
  @Option(help: "Email or username.") var user: String
  @Flag(help: "Read the password from standard input (required).") var passwordStdin = false

  func run() async throws {
    guard passwordStdin else {
      throw ValidationError("pass the password on standard input with --password-stdin")
    }
    // A server for one organisation needs no tenant; one for many answers a login without one
    // as it answers a wrong password.
    let named = server.tenant ?? ProcessInfo.processInfo.environment["THAIYYAL_TENANT"]
    var request = Thaiyyal_V1_LoginRequest()
    request.tenant = named ?? ""
    request.login = user
    request.password = try readSecretFromStandardInput("password")
    // The tenant travels in the request only: as `x-tenant` it would be resolved (for an
    // operator's socket) and an unknown tenant would answer NOT_FOUND instead of the same refusal
    // as a wrong password.
    let response = try await server.call(useStoredLogin: false) { client, options in
      try await client.users.login(request, options: CallOptions(timeout: options.timeout))
    }
    let tenant = named ?? response.user.tenantID
    try CredentialStore.save(
      StoredLogin(
        tenant: tenant,
        user: response.user.username,
        token: response.accessToken,
        expiresAt: response.expireTime.seconds * 1000
      ),
      for: try server.target()
    )
    print(
      "signed in to \(tenant) as \(response.user.username) until \(Output.time(response.expireTime))"
    )
  }
}

/// `thaiyyal logout`: revokes every token of the signed-in user and forgets the stored one.
struct LogoutCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logout",
    abstract: "Sign out everywhere."
  )
  @OptionGroup var server: ServerAddressOptions

  func run() async throws {
    _ = try await server.call { client, options in try await client.users.logout(options: options) }
    CredentialStore.remove(for: try server.target())
    print("signed out")
  }
}

/// `thaiyyal whoami`.
struct WhoAmICommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whoami",
    abstract: "Show who you are signed in as."
  )
  @OptionGroup var server: ServerAddressOptions
  @Option(help: "Output: text or json.") var output: OutputFormat = .text

  func run() async throws {
    let response = try await server.call { client, options in
      try await client.users.whoAmI(options: options)
    }
    if response.operator {
      try Output.object(
        response,
        output,
        text: [("identity", "platform operator"), ("tenant", response.tenantSlug)]
      )
    } else {
      try Output.object(
        response,
        output,
        text: UserCommand.text(response.user) + [("tenant", response.tenantSlug)]
      )
    }
  }
}

/// `thaiyyal token operator`: mints an operator token for TCP from the data directory's key file.
struct TokenCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token",
    abstract: "Mint tokens.",
    subcommands: [Operator.self]
  )

  struct Operator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print an operator token (needs read access to the data directory's key file)."
    )
    @Option(help: "Data directory holding jwt.key (default ./data, or THAIYYAL_DATA_DIR).")
    var dataDir: String?
    @Option(help: "Lifetime in seconds.") var ttl: Int = 3600

    func run() async throws {
      guard (60 ... 30 * 86400).contains(ttl) else {
        throw ValidationError("--ttl must be 60 s to 30 days")
      }
      let directory =
        dataDir ?? ProcessInfo.processInfo.environment["THAIYYAL_DATA_DIR"] ?? "./data"
      do {
        print(try await OperatorTokens.mint(dataDirectory: directory, lifetime: .seconds(ttl)))
      } catch let error as ConfigurationError {
        printError("error: \(error)")
        throw ExitCode(1)
      }
    }
  }
}

/// `thaiyyal user ...`: users of the signed-in tenant.
struct UserCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user",
    abstract: "Manage users.",
    subcommands: [
      Create.self, Get.self, List.self, Update.self, SetPassword.self, Suspend.self, Resume.self,
      Delete.self, Passwd.self,
    ]
  )

  static func text(_ user: Thaiyyal_V1_User) -> [(String, String)] {
    [
      ("id", user.id), ("email", user.email), ("username", user.username),
      ("name", user.displayName),
      ("role", Output.name(user.role)), ("status", Output.name(user.status)),
      ("last login", Output.time(user.lastLoginTime)),
    ]
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a user (password from standard input)."
    )
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Email.") var email: String
    @Option(help: "Username.") var username: String
    @Option(help: "Display name.") var name: String?
    @Option(help: "Role: viewer, member, admin or owner.") var role: Role = .member
    @Flag(help: "Read the password from standard input (required).") var passwordStdin = false
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      guard passwordStdin else {
        throw ValidationError("pass the password on standard input with --password-stdin")
      }
      var request = Thaiyyal_V1_CreateUserRequest()
      request.email = email
      request.username = username
      request.displayName = name ?? ""
      request.role = role.proto
      request.password = try readSecretFromStandardInput("password")
      let user = try await server.call { client, options in
        try await client.users.createUser(request, options: options)
      }
      try Output.object(user, output, text: UserCommand.text(user))
    }
  }

  struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a user.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "User id.") var id: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      let user = try await server.call { client, options in
        try await client.users.getUser(.with { $0.id = id }, options: options)
      }
      try Output.object(user, output, text: UserCommand.text(user))
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List users.")
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Only this role.") var role: Role?
    @Option(help: "Only emails or usernames starting with this.") var prefix: String?
    @Option(help: "At most this many users.") var limit: Int = 1000
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ListUsersRequest()
      request.role = role?.proto ?? .unspecified
      request.prefix = prefix ?? ""
      request.pageSize = Int32(min(max(limit, 1), 1000))
      let users = try await server.collect(limit: limit) { client, options, token in
        request.pageToken = token
        let page = try await client.users.listUsers(request, options: options)
        return (page.users, page.nextPageToken)
      }
      try Output.list(
        users,
        output,
        columns: [
          ("USERNAME", \.username), ("EMAIL", \.email), ("ROLE", { Output.name($0.role) }),
          ("STATUS", { Output.name($0.status) }), ("ID", \.id),
        ]
      )
    }
  }

  struct SetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-password",
      abstract:
        "Set another user's password (read from standard input), as an admin: revokes the user's tokens."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "User id.") var id: String
    @Flag(help: "Read the new password from standard input (required).") var passwordStdin = false
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      guard passwordStdin else {
        throw ValidationError("pass the new password on standard input with --password-stdin")
      }
      var request = Thaiyyal_V1_UpdateUserRequest()
      request.user.id = id
      request.password = try readSecretFromStandardInput("new password")
      request.updateMask.paths = ["password"]
      let user = try await server.call { client, options in
        try await client.users.updateUser(request, options: options)
      }
      try Output.object(user, output, text: UserCommand.text(user))
    }
  }

  struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change a user's email, username, name or role."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "User id.") var id: String
    @Option(help: "New email.") var email: String?
    @Option(help: "New username.") var username: String?
    @Option(help: "New display name.") var name: String?
    @Option(help: "New role.") var role: Role?
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_UpdateUserRequest()
      request.user.id = id
      var paths: [String] = []
      if let email {
        request.user.email = email
        paths.append("email")
      }
      if let username {
        request.user.username = username
        paths.append("username")
      }
      if let name {
        request.user.displayName = name
        paths.append("display_name")
      }
      if let role {
        request.user.role = role.proto
        paths.append("role")
      }
      guard !paths.isEmpty else {
        throw ValidationError("nothing to update: give --email, --username, --name or --role")
      }
      request.updateMask.paths = paths
      let user = try await server.call { client, options in
        try await client.users.updateUser(request, options: options)
      }
      try Output.object(user, output, text: UserCommand.text(user))
    }
  }

  struct Suspend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Suspend a user; their tokens stop working at once."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "User id.") var id: String

    func run() async throws {
      let user = try await server.call { client, options in
        try await client.users.suspendUser(.with { $0.id = id }, options: options)
      }
      print("\(user.username): \(Output.name(user.status))")
    }
  }

  struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Lift a user's suspension or lockout."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "User id.") var id: String

    func run() async throws {
      let user = try await server.call { client, options in
        try await client.users.resumeUser(.with { $0.id = id }, options: options)
      }
      print("\(user.username): \(Output.name(user.status))")
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a user.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "User id.") var id: String

    func run() async throws {
      _ = try await server.call { client, options in
        try await client.users.deleteUser(.with { $0.id = id }, options: options)
      }
      print("deleted \(id)")
    }
  }

  struct Passwd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Change your password: the current one, then the new one, each on its own line of standard input."
    )
    @OptionGroup var server: ServerAddressOptions

    func run() async throws {
      var request = Thaiyyal_V1_ChangePasswordRequest()
      request.currentPassword = try readSecretFromStandardInput("current password")
      request.newPassword = try readSecretFromStandardInput("new password")
      _ = try await server.call { client, options in
        try await client.users.changePassword(request, options: options)
      }
      CredentialStore.remove(for: try server.target())
      print("password changed; every session was signed out, sign in again")
    }
  }
}
