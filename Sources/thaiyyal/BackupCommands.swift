import ArgumentParser
import Foundation
import ThaiyyalServer
import ThaiyyalStore
import ThaiyyalTransport

#if canImport(Glibc)
import Glibc
#endif

/// `thaiyyal backup FILE`: a consistent copy of a data directory's SQLite database, taken while
/// the server serves, then verified (pages sound, every migration applied as this binary embeds
/// it). Like `migrate`, it opens the database file itself.
struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Copy the database consistently while the server serves, and verify the copy."
  )

  @Argument(help: "The backup file to write; it must not exist.") var file: String

  @Option(help: "Data directory holding thaiyyal.db (default ./data, or THAIYYAL_DATA_DIR).")
  var dataDir: String?

  func run() async throws {
    if let url = ProcessInfo.processInfo.environment["THAIYYAL_DATABASE_URL"], !url.isEmpty {
      throw UsageError(
        "this server uses PostgreSQL: back it up with pg_dump (see docs/operations.md)"
      )
    }
    let source = DataPaths.database(dataDir)
    let progress = CopyProgress(source: source, target: file)
    progress.start()
    do {
      try await Task.detached { try SQLiteBackup.copy(source, to: file) }.value
    } catch {
      progress.stop()
      printError("error: backup failed: \(error)")
      throw ExitCode(1)
    }
    progress.stop()
    do {
      let report = try SQLiteBackup.verify(file)
      print(
        "backup written: \(file) (\(report.bytes) bytes): integrity ok, migrations \(report.migrations.joined(separator: ", ")), \(report.tenants) tenants, \(report.workflows) workflows, \(report.executions) executions"
      )
    } catch {
      printError("error: the copy at \(file) did not verify: \(error)")
      throw ExitCode(1)
    }
  }
}

/// `thaiyyal restore FILE --data-dir DIR`: puts a verified backup in place as DIR's database.
/// Refuses a directory that already has a database unless `--force`, and never replaces the
/// database under a running server.
struct RestoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Restore a backup into a data directory (refuses one with a database unless --force)."
  )

  @Argument(help: "The backup file.") var file: String

  @Option(help: "Data directory to restore into.") var dataDir: String

  @Flag(help: "Replace the directory's database (its server must be stopped).") var force = false

  func run() async throws {
    let report: SQLiteBackup.Report
    do {
      report = try SQLiteBackup.verify(file)
    } catch {
      printError("error: \(file) is not a usable backup: \(error)")
      throw ExitCode(1)
    }
    let target = DataPaths.database(dataDir)
    let files = FileManager.default
    if files.fileExists(atPath: target) {
      guard force else {
        printError(
          "error: \(target) already holds a database; restore into an empty directory, or pass --force to replace it"
        )
        throw ExitCode(1)
      }
      if DataPaths.serverAnswers(in: dataDir) {
        printError("error: a server is running on \(dataDir); stop it before restoring over it")
        throw ExitCode(1)
      }
    }
    do {
      try files.createDirectory(
        atPath: dataDir,
        withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700]
      )
      // Copied beside the target, then renamed over it: a crash leaves the old file or the new.
      let staging = target + ".restoring"
      try? files.removeItem(atPath: staging)
      try files.copyItem(atPath: file, toPath: staging)
      try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: staging)
      for stale in [target + "-wal", target + "-shm"] { try? files.removeItem(atPath: stale) }
      guard rename(staging, target) == 0 else {
        throw StoreError.cannotOpen(path: target, reason: String(cString: strerror(errno)))
      }
    } catch {
      printError("error: restore failed: \(error)")
      throw ExitCode(1)
    }
    print(
      "restored \(file) into \(target): \(report.tenants) tenants, \(report.workflows) workflows, \(report.executions) executions"
    )
  }
}

/// Where a data directory keeps things, for the commands that open files themselves.
enum DataPaths {
  static func directory(_ given: String?) -> String {
    given ?? ProcessInfo.processInfo.environment["THAIYYAL_DATA_DIR"] ?? "./data"
  }

  static func database(_ given: String?) -> String {
    var configuration = ServerConfiguration()
    configuration.dataDirectory = directory(given)
    return configuration.databasePath
  }

  /// Whether a server runs on the directory: it holds the directory's lock, or something accepts
  /// connections on the directory's default socket.
  static func serverAnswers(in given: String?) -> Bool {
    var configuration = ServerConfiguration()
    configuration.dataDirectory = directory(given)
    return DataDirectoryLock.isHeld(in: configuration.dataDirectory)
      || UnixSocketFile.isListening(path: configuration.effectiveSocketPath)
  }
}

/// A progress line on a terminal while a copy is written: the copy's size against the source's.
/// Silent when standard error is not a terminal.
final class CopyProgress: @unchecked Sendable {
  private let source: String
  private let target: String
  private var timer: (any DispatchSourceTimer)?

  init(source: String, target: String) {
    self.source = source
    self.target = target
  }

  func start() {
    guard isatty(STDERR_FILENO) == 1 else { return }
    let total = Self.size(source) + Self.size(source + "-wal")
    let timer = DispatchSource.makeTimerSource(queue: .global())
    timer.schedule(deadline: .now(), repeating: .milliseconds(200))
    timer.setEventHandler { [target] in
      let written = Self.size(target)
      let percent = total > 0 ? min(99, written * 100 / total) : 0
      FileHandle.standardError.write(Data("\rcopying: \(written >> 20) MiB (~\(percent)%)  ".utf8))
    }
    timer.resume()
    self.timer = timer
  }

  func stop() {
    guard let timer else { return }
    timer.cancel()
    FileHandle.standardError.write(Data("\rcopied.                              \n".utf8))
  }

  static func size(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value
      ?? 0
  }
}
