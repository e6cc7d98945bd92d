import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalProto

/// `thaiyyal health`: calls `Health/Check`; exits 0 only when the server is serving.
struct HealthCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "health",
    abstract: "Check that a server is serving."
  )

  @OptionGroup var server: ServerAddressOptions

  @Option(help: "Output: text or json (Protobuf JSON mapping).")
  var output: OutputFormat = .text

  func run() async throws {
    // Health is public: a stored login (maybe stale) must never make it fail.
    let response = try await server.call(useStoredLogin: false) { client, options in
      try await client.health.check(options: options)
    }
    switch output {
    case .json:
      print(try response.jsonString())
    case .text:
      let uptime = Double(response.uptime.seconds) + Double(response.uptime.nanos) / 1e9
      print("status:  \(Self.name(response.status))")
      print("version: \(response.version)")
      print("uptime:  \(String(format: "%.1f", uptime)) s")
    }
    if response.status != .serving { throw ExitCode(1) }
  }

  static func name(_ status: Thaiyyal_V1_CheckResponse.ServingStatus) -> String {
    switch status {
    case .serving: "SERVING"
    case .notServing: "NOT_SERVING"
    default: "UNKNOWN"
    }
  }
}
