import ArgumentParser
import ThaiyyalBenchmarks
import ThaiyyalServer

/// The one binary: `serve` runs the server; every other command is a client of a running server.
@main
struct Thaiyyal: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "thaiyyal",
    abstract: "Multi-tenant server that stores and runs Thaiyyal workflows.",
    version: ServerVersion.current,
    subcommands: [
      ServeCommand.self, HealthCommand.self, LoginCommand.self, LogoutCommand.self,
      WhoAmICommand.self,
      TenantCommand.self, UserCommand.self, WorkflowCommand.self, ExecCommand.self,
      ImportWorkflowsCommand.self,
      AuditCommand.self, TokenCommand.self,
      MigrateCommand.self, BackupCommand.self, RestoreCommand.self, RunCommand.self,
      ValidateCommand.self,
      BenchCommand.self,
    ]
  )

  /// Parses and runs the command, mapping usage errors to exit status 2 (DESIGN.md section 9)
  /// instead of ArgumentParser's 64.
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch {
      if let usage = error as? UsageError {
        printError("error: \(usage)")
        exit(withError: ExitCode(2))
      }
      if exitCode(for: error) == .validationFailure {
        printError(fullMessage(for: error))
        exit(withError: ExitCode(2))
      }
      exit(withError: error)
    }
  }
}
