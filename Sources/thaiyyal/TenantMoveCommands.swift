import ArgumentParser
import Foundation
import Logging
import ThaiyyalCore
import ThaiyyalRPC
import ThaiyyalServer
import ThaiyyalStore

#if canImport(Glibc)
import Glibc
#endif

/// Where the operator's commands that open the database themselves find it: the server's
/// configuration file, then `--data-dir` or `--database-url` (or their environment variables).
struct DatabaseOptions: ParsableArguments {
  @Option(help: "The server's YAML configuration file (or THAIYYAL_CONFIG).")
  var config: String?

  @Option(help: "Data directory holding thaiyyal.db (default ./data, or THAIYYAL_DATA_DIR).")
  var dataDir: String?

  @Option(help: "PostgreSQL database, as the server's role: postgres://USER@HOST:PORT/DB.")
  var databaseURL: String?

  /// The database `configuration` names (by default these options' own).
  func open(_ configuration: ServerConfiguration? = nil) async throws -> any Persistence {
    try await ServerApplication.openStoreForOperator(
      try configuration ?? self.configuration(),
      logger: Self.logger
    )
  }

  private static var logger: Logger {
    var logger = Logger(label: "thaiyyal.operator")
    logger.logLevel = .warning
    return logger
  }

  /// The server's configuration, with these options applied.
  func configuration() throws -> ServerConfiguration {
    let environment = ProcessInfo.processInfo.environment
    var configuration = try ServerConfiguration.load(
      file: config ?? environment["THAIYYAL_CONFIG"].flatMap { $0.isEmpty ? nil : $0 },
      environment: environment
    )
    if let dataDir { configuration.dataDirectory = dataDir }
    if let databaseURL {
      try configuration.apply(environment: ["THAIYYAL_DATABASE_URL": databaseURL])
    }
    return configuration
  }
}

/// An error as the operator should read it: a domain error in the words the server would answer.
func explain(_ error: any Error) -> String {
  (error as? DomainError)?.rpcError.message ?? "\(error)"
}

/// The operator running a command on this machine, as audit entries name them.
func localOperator(_ command: String) -> AuditContext {
  AuditContext(
    actorType: .operator,
    actorID: "operator:uid=\(getuid())",
    peer: "local: thaiyyal \(command)",
    requestID: UUIDv7.generate(),
    time: Int64(Date().timeIntervalSince1970 * 1000)
  )
}

/// Rows moved so far, on one line of a terminal; silent when standard error is not one.
final class RowProgress: @unchecked Sendable {
  private let verb: String
  private let lock = NSLock()
  private var shown = Date.distantPast
  private let enabled = isatty(STDERR_FILENO) == 1

  init(_ verb: String) { self.verb = verb }

  func update(_ counts: TenantMoves.RowCounts) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    guard Date().timeIntervalSince(shown) > 0.2 else { return }
    shown = Date()
    let total = counts.values.reduce(0, +)
    FileHandle.standardError.write(Data("\r\(verb): \(total) rows   ".utf8))
  }

  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}

extension TenantCommand {
  /// `thaiyyal tenant export SLUG -o FILE`: writes everything a tenant owns to one archive
  /// (docs/operations.md describes the format), from one consistent snapshot, while the server
  /// serves. Like `backup` it opens the database itself.
  struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a tenant to an archive, to move it to another installation."
    )
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(name: .shortAndLong, help: "The archive to write; it must not exist.") var output:
      String
    @Flag(help: "Include the users' password hashes (else they set new passwords after import).")
    var withPasswordHashes = false
    @Flag(help: "Include the tenant's executions with their inputs and results.")
    var withExecutions = false

    func run() async throws {
      guard !FileManager.default.fileExists(atPath: output) else {
        throw UsageError("\(output) exists; name a new file")
      }
      // Written beside the target and renamed when complete: a failed export leaves no archive
      // that looks whole. Readable by its owner alone (it may hold password hashes).
      let partial = output + ".partial"
      guard
        FileManager.default.createFile(
          atPath: partial,
          contents: nil,
          attributes: [.posixPermissions: 0o600]
        ), let handle = FileHandle(forWritingAtPath: partial)
      else { throw UsageError("cannot write \(partial)") }
      let progress = RowProgress("exporting")
      do {
        let store = try await database.open()
        defer { try? store.close() }
        let (exported, counts) = try await TenantMoves(store: store).export(
          tenant,
          to: handle,
          options: .init(passwordHashes: withPasswordHashes, executions: withExecutions),
          actor: localOperator("tenant export"),
          progress: progress.update
        )
        try handle.synchronize()
        try handle.close()
        guard rename(partial, output) == 0 else {
          throw UsageError(
            "cannot rename \(partial) to \(output): \(String(cString: strerror(errno)))"
          )
        }
        progress.finish()
        print(
          "exported \(exported.slug) (\(exported.id)) to \(output): \(TenantMoves.describe(counts))"
        )
      } catch {
        progress.finish()
        try? handle.close()
        try? FileManager.default.removeItem(atPath: partial)
        printError("error: export failed: \(explain(error))")
        throw ExitCode(1)
      }
    }
  }

  /// `thaiyyal tenant import FILE [--slug NEW] [--new-id]`: loads an archive into this
  /// installation in one transaction, audited; refuses a tenant whose id, slug or custom domain
  /// is taken here.
  struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Load a tenant archive into this installation (all of it, or nothing)."
    )
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The archive written by 'thaiyyal tenant export'.") var file: String
    @Option(help: "Slug for the tenant here, instead of its own.") var slug: String?
    @Flag(help: "Give the tenant a new id here (a copy beside the original).") var newID = false

    func run() async throws {
      guard let handle = FileHandle(forReadingAtPath: file) else {
        throw UsageError("cannot read \(file)")
      }
      defer { try? handle.close() }
      let progress = RowProgress("importing")
      do {
        let configuration = try database.configuration()
        let store = try await database.open(configuration)
        defer { try? store.close() }
        var options = TenantMoves.ImportOptions(slug: slug, newID: newID)
        options.organisation = configuration.singleTenant
        let (imported, counts) = try await TenantMoves(store: store).importArchive(
          from: handle,
          options: options,
          actor: localOperator("tenant import"),
          progress: progress.update
        )
        progress.finish()
        print("imported \(imported.slug) (\(imported.id)): \(TenantMoves.describe(counts))")
      } catch {
        progress.finish()
        printError("error: import failed, nothing was imported: \(explain(error))")
        throw ExitCode(1)
      }
    }
  }
}
