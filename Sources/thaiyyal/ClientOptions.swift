public import ArgumentParser
import Foundation
import ThaiyyalClient
public import ThaiyyalCore
import ThaiyyalRPC
import ThaiyyalTransport

/// How a client command finds the server: `--socket PATH` or `--tcp HOST:PORT`, else
/// `THAIYYAL_ADDRESS` or `THAIYYAL_SOCKET`, else the first socket that exists of those
/// ``ServerDiscovery`` lists.
struct ServerAddressOptions: ParsableArguments {
  @Option(
    help:
      "Unix socket of the server (or THAIYYAL_SOCKET; default: the socket of THAIYYAL_CONFIG's file, ./data/thaiyyal.sock or the per-user socket, whichever exists)."
  )
  var socket: String?

  @Option(help: "TCP address HOST:PORT of the server (or THAIYYAL_ADDRESS).")
  var tcp: String?

  @Option(help: "Seconds to wait for an answer.")
  var timeout: Double = 10

  @Option(
    help:
      "Tenant slug or id to act in (or THAIYYAL_TENANT; default: the tenant of the stored login)."
  )
  var tenant: String?

  @Option(
    help: "Bearer token to send (or THAIYYAL_TOKEN; default: the token stored by 'thaiyyal login')."
  )
  var token: String?

  func validate() throws {
    if socket != nil && tcp != nil {
      throw ValidationError("use either --socket or --tcp, not both")
    }
    guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
  }

  func target() throws -> BindAddress {
    try givenTarget()
      ?? .unixDomainSocket(
        path: ServerDiscovery.existing(environment: ProcessInfo.processInfo.environment)
          ?? "./data/thaiyyal.sock"
      )
  }

  /// The address given by a flag or the environment; nil when ``ServerDiscovery`` must look.
  private func givenTarget() throws -> BindAddress? {
    let environment = ProcessInfo.processInfo.environment
    if let socket { return .unixDomainSocket(path: socket) }
    if let tcp { return try parse(tcp) }
    if let address = environment["THAIYYAL_ADDRESS"], !address.isEmpty { return try parse(address) }
    if let socket = environment["THAIYYAL_SOCKET"], !socket.isEmpty {
      return .unixDomainSocket(path: socket)
    }
    return nil
  }

  /// Call options for `target`: timeout, tenant and token. The stored login is used only when
  /// `useStoredLogin` (operator commands pass `false`, so a user's login does not shadow the
  /// operator's socket identity).
  private func callOptions(useStoredLogin: Bool, target: BindAddress) -> CallOptions {
    let environment = ProcessInfo.processInfo.environment
    // A stored login goes only to the server it was made with, and only for its own tenant: a
    // command naming another tenant acts as the operator (or with --token), not as that user.
    let named = [tenant, environment["THAIYYAL_TENANT"]].compactMap { $0 }.first { !$0.isEmpty }
    let stored =
      useStoredLogin
      ? CredentialStore.load(for: target).flatMap { login in
        named == nil || named == login.tenant ? login : nil
      } : nil
    var options = CallOptions(timeout: .milliseconds(Int64(timeout * 1000)))
    // The first non-empty of: flag, environment, stored login.
    if let tenant = [tenant, environment["THAIYYAL_TENANT"], stored?.tenant].compactMap({ $0 })
      .first(where: { !$0.isEmpty })
    {
      options.metadata.add(Metadata.WellKnown.tenant, tenant)
    }
    if let token = [token, environment["THAIYYAL_TOKEN"], stored?.token].compactMap({ $0 }).first(
      where: { !$0.isEmpty })
    {
      options.metadata.add(Metadata.WellKnown.authorization, "Bearer \(token)")
    }
    return options
  }

  /// Connects, runs one call with these options and closes, mapping failures to exit codes. When
  /// the address was discovered, a failure to connect says where discovery looked.
  func call<T>(
    useStoredLogin: Bool = true,
    _ body: (ThaiyyalClient, CallOptions) async throws -> T
  ) async throws -> T {
    let given = try givenTarget()
    let target = try given ?? self.target()
    let options = callOptions(useStoredLogin: useStoredLogin, target: target)
    let client = ThaiyyalClient(connectingTo: target)
    do {
      let result = try await runClientCall(
        hint: given == nil
          ? ServerDiscovery.hint(environment: ProcessInfo.processInfo.environment) : nil
      ) { try await body(client, options) }
      await client.close()
      return result
    } catch {
      await client.close()
      throw error
    }
  }

  /// Up to `limit` items of a list method, page after page over one connection. `page` fetches
  /// the page for a page token and returns its items and the next token (empty on the last page).
  func collect<Item>(
    limit: Int,
    useStoredLogin: Bool = true,
    _ page: (ThaiyyalClient, CallOptions, String) async throws -> (items: [Item], next: String)
  ) async throws -> [Item] {
    guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    return try await call(useStoredLogin: useStoredLogin) { client, options in
      var items: [Item] = []
      var token = ""
      repeat {
        let (batch, next) = try await page(client, options, token)
        items += batch
        token = next
      } while !token.isEmpty && items.count < limit
      return Array(items.prefix(limit))
    }
  }

  private func parse(_ address: String) throws -> BindAddress {
    do {
      return try BindAddress.parseTCP(address)
    } catch {
      throw ValidationError("\(error)")
    }
  }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

/// Runs a client call and maps failures to the documented exit codes: 1 when the server answered
/// an error (its code name and message go to standard error), 3 when it could not be reached;
/// `hint` (where the server was looked for) is built only then.
func runClientCall<T>(
  hint: @autoclosure () -> String? = nil,
  _ body: () async throws -> T
) async throws -> T {
  do {
    return try await body()
  } catch let error as ConnectionError {
    printError("UNAVAILABLE: \(error.message)" + (hint().map { " (\($0))" } ?? ""))
    throw ExitCode(3)
  } catch let error as RPCError {
    printError("\(error.code): \(error.message)")
    throw ExitCode(1)
  }
}

// Domain enums are command-line values by their raw names (`--plan pro`, `--role admin`).
extension Plan: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}
extension Tenant.Status: ExpressibleByArgument {}
extension WorkflowRecord.Visibility: ExpressibleByArgument {}
extension ExecutionRecord.Status: ExpressibleByArgument {}
