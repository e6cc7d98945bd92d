import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalProto

/// `thaiyyal audit list`: a tenant's audit log, newest first.
struct AuditCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Read audit logs.",
    subcommands: [List.self]
  )

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List a tenant's audit entries, newest first."
    )
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Only this action, or a prefix ending in '.' (e.g. tenant.).") var action: String?
    @Option(help: "Only entries about this resource type.") var resourceType: String?
    @Option(help: "Only entries about this resource id.") var resourceID: String?
    @Option(help: "Only entries by this actor id.") var actor: String?
    @Option(help: "Only entries at or after this time (RFC 3339).") var since: String?
    @Option(help: "At most this many entries.") var limit: Int = 100
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ListAuditLogsRequest()
      request.action = action ?? ""
      request.resourceType = resourceType ?? ""
      request.resourceID = resourceID ?? ""
      request.actorID = actor ?? ""
      if let since {
        guard let date = try? Date(since, strategy: .iso8601) else {
          throw ValidationError("--since takes an RFC 3339 time")
        }
        request.startTime = Google_Protobuf_Timestamp(date: date)
      }
      request.pageSize = Int32(min(max(limit, 1), 1000))
      let entries = try await server.collect(limit: limit) { client, options, token in
        request.pageToken = token
        let page = try await client.audit.listAuditLogs(request, options: options)
        return (page.entries, page.nextPageToken)
      }
      try Output.list(
        entries,
        output,
        columns: [
          ("TIME", { Output.time($0.time) }), ("ACTION", \.action),
          ("RESOURCE", { "\($0.resourceType)/\($0.resourceID)" }),
          ("ACTOR", \.actorID), ("OUTCOME", { Output.name($0.outcome) }), ("REQUEST", \.requestID),
        ]
      )
    }
  }
}
