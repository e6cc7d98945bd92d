import ArgumentParser
import ThaiyyalServer

/// The one binary: `serve` runs the server; every other command is a client of a running server.
@main
struct Thaiyyal: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "thaiyyal",
    abstract: "Multi-tenant server that stores and runs Thaiyyal workflows.",
    version: ServerVersion.current,
    subcommands: [ServeCommand.self, HealthCommand.self, BenchCommand.self]
  )
}
