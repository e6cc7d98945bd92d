import ArgumentParser
import Foundation
import SwiftProtobuf
import ThaiyyalClient
import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalServer

/// `thaiyyal tenant ...`: tenant lifecycle, a client of the running server. Creating, listing,
/// suspending, resuming, deleting and purging are for the platform operator (the server's own Unix
/// user on its socket).
struct TenantCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tenant",
    abstract: "Manage tenants.",
    subcommands: [
      Create.self, Get.self, List.self, Update.self, Suspend.self, Resume.self, Delete.self,
      Purge.self,
      Usage.self, Export.self, Import.self,
    ]
  )

  static func text(_ tenant: Thaiyyal_V1_Tenant) -> [(String, String)] {
    [
      ("id", tenant.id), ("slug", tenant.slug), ("name", tenant.name),
      ("status", Output.name(tenant.status)),
      ("plan", Output.name(tenant.plan)), ("created", Output.time(tenant.createTime)),
      ("updated", Output.time(tenant.updateTime)), ("etag", tenant.etag),
    ]
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a tenant and its first owner (the password is read from standard input)."
    )
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Unique slug: lower-case letters, digits and single dashes, 3 to 63 characters.")
    var slug: String
    @Option(help: "Display name.") var name: String
    @Option(help: "Plan: free, pro or enterprise.") var plan: Plan = .free
    @Option(help: "Settings as a JSON object.") var settings: String?
    @Option(help: "The owner's email.") var ownerEmail: String
    @Option(help: "The owner's username.") var ownerUsername: String
    @Option(help: "The owner's display name.") var ownerName: String?
    @Flag(help: "Read the owner's password from standard input (required).") var passwordStdin =
      false
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      guard passwordStdin else {
        throw ValidationError("pass the owner's password on standard input with --password-stdin")
      }
      var request = Thaiyyal_V1_CreateTenantRequest()
      request.slug = slug
      request.name = name
      request.plan = plan.proto
      request.settingsJson = settings ?? ""
      request.ownerEmail = ownerEmail
      request.ownerUsername = ownerUsername
      request.ownerDisplayName = ownerName ?? ""
      request.ownerPassword = try readSecretFromStandardInput("owner's password")
      let response = try await server.call(useStoredLogin: false) { client, options in
        try await client.tenants.createTenant(request, options: options)
      }
      try Output.object(
        response,
        output,
        text: TenantCommand.text(response.tenant) + [("owner", response.owner.id)]
      )
    }
  }

  struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a tenant.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_GetTenantRequest()
      request.tenant = tenant
      let response = try await server.call { client, options in
        try await client.tenants.getTenant(request, options: options)
      }
      try Output.object(response, output, text: TenantCommand.text(response))
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tenants.")
    @OptionGroup var server: ServerAddressOptions
    @Option(help: "Only this status: active, suspended or deleted.") var status: Tenant.Status?
    @Option(help: "Only this plan.") var plan: Plan?
    @Option(help: "At most this many tenants.") var limit: Int = 1000
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ListTenantsRequest()
      request.status = status?.proto ?? .unspecified
      request.plan = plan?.proto ?? .unspecified
      request.pageSize = Int32(min(limit, 1000))
      let tenants = try await server.collect(limit: limit, useStoredLogin: false) {
        client,
        options,
        token in
        request.pageToken = token
        let page = try await client.tenants.listTenants(request, options: options)
        return (page.tenants, page.nextPageToken)
      }
      try Output.list(
        tenants,
        output,
        columns: [
          ("SLUG", \.slug), ("NAME", \.name), ("STATUS", { Output.name($0.status) }),
          ("PLAN", { Output.name($0.plan) }),
          ("ID", \.id),
        ]
      )
    }
  }

  struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change a tenant's name, settings, domain, plan or limits."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(help: "New display name.") var name: String?
    @Option(help: "New settings as a JSON object.") var settings: String?
    @Option(help: "New custom domain (empty to clear).") var customDomain: String?
    @Option(help: "New plan (operator only).") var plan: Plan?
    @Option(
      name: .customLong("limit"),
      help: "A limit override NAME=VALUE, e.g. max_workflows=50 (operator only; repeatable)."
    )
    var limits: [String] = []
    @Option(help: "Only update if the tenant still has this etag.") var etag: String?
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_UpdateTenantRequest()
      request.tenant.slug = tenant
      var paths: [String] = []
      if let name {
        request.tenant.name = name
        paths.append("name")
      }
      if let settings {
        request.tenant.settingsJson = settings
        paths.append("settings_json")
      }
      if let customDomain {
        request.tenant.customDomain = customDomain
        paths.append("custom_domain")
      }
      if let plan {
        request.tenant.plan = plan.proto
        paths.append("plan")
      }
      if !limits.isEmpty {
        var overrides = Thaiyyal_V1_PlanLimits()
        for limit in limits {
          let parts = limit.split(separator: "=", maxSplits: 1).map(String.init)
          guard parts.count == 2, let value = Int64(parts[1]),
            let field = LimitNames.fields[parts[0]]
          else {
            throw ValidationError(
              "--limit takes NAME=NUMBER with NAME one of \(LimitNames.fields.keys.sorted().joined(separator: ", "))"
            )
          }
          overrides[keyPath: field] = value
        }
        request.tenant.limitOverrides = overrides
        paths.append("limit_overrides")
      }
      guard !paths.isEmpty else {
        throw ValidationError(
          "nothing to update: give at least one of --name, --settings, --custom-domain, --plan, --limit"
        )
      }
      request.updateMask.paths = paths
      request.etag = etag ?? ""
      let response = try await server.call { client, options in
        try await client.tenants.updateTenant(request, options: options)
      }
      try Output.object(response, output, text: TenantCommand.text(response))
    }
  }

  struct Suspend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a tenant read-only.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(help: "Why (recorded in the audit log).") var reason: String?
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_SuspendTenantRequest()
      request.tenant = tenant
      request.reason = reason ?? ""
      let response = try await server.call(useStoredLogin: false) { client, options in
        try await client.tenants.suspendTenant(request, options: options)
      }
      try Output.object(response, output, text: TenantCommand.text(response))
    }
  }

  struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lift a suspension.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_ResumeTenantRequest()
      request.tenant = tenant
      let response = try await server.call(useStoredLogin: false) { client, options in
        try await client.tenants.resumeTenant(request, options: options)
      }
      try Output.object(response, output, text: TenantCommand.text(response))
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Soft-delete a tenant (it can then only be purged)."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_DeleteTenantRequest()
      request.tenant = tenant
      let response = try await server.call(useStoredLogin: false) { client, options in
        try await client.tenants.deleteTenant(request, options: options)
      }
      try Output.object(response, output, text: TenantCommand.text(response))
    }
  }

  struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Remove every row of a deleted tenant for good."
    )
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Flag(help: "Confirm: the data cannot be recovered.") var yes = false
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      guard yes else { throw ValidationError("purging cannot be undone; add --yes to confirm") }
      var request = Thaiyyal_V1_PurgeTenantRequest()
      request.tenant = tenant
      let response = try await server.call(useStoredLogin: false) { client, options in
        try await client.tenants.purgeTenant(request, options: options)
      }
      try Output.object(
        response,
        output,
        text: [("purged", "\(response.slug) (\(response.tenantID))")]
          + response.deletedRows.sorted { $0.key < $1.key }.map {
            ("  \($0.key)", "\($0.value) rows")
          }
      )
    }
  }

  struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show quota usage and limits.")
    @OptionGroup var server: ServerAddressOptions
    @Argument(help: "Tenant slug or id.") var tenant: String
    @Option(help: "Output: text or json.") var output: OutputFormat = .text

    func run() async throws {
      var request = Thaiyyal_V1_GetUsageRequest()
      request.tenant = tenant
      let response = try await server.call { client, options in
        try await client.tenants.getUsage(request, options: options)
      }
      switch output {
      case .json: print(try response.jsonString())
      case .text:
        try Output.list(
          response.quotas,
          .text,
          columns: [
            ("QUOTA", \.name), ("USED", { String($0.used) }),
            ("LIMIT", { $0.limit < 0 ? "unlimited" : String($0.limit) }),
            ("RESETS", { $0.hasResetTime ? Output.time($0.resetTime) : "-" }),
          ]
        )
      }
    }
  }
}

/// Names of limit overrides on the command line.
enum LimitNames {
  static let fields: [String: any WritableKeyPath<Thaiyyal_V1_PlanLimits, Int64> & Sendable] = [
    "max_users": \.maxUsers, "max_workflows": \.maxWorkflows,
    "max_executions_per_day": \.maxExecutionsPerDay,
    "max_storage_bytes": \.maxStorageBytes, "max_nodes_per_workflow": \.maxNodesPerWorkflow,
    "max_execution_seconds": \.maxExecutionSeconds, "rate_limit_per_second": \.rateLimitPerSecond,
    "rate_limit_burst": \.rateLimitBurst, "max_concurrent_executions": \.maxConcurrentExecutions,
    "max_queued_executions": \.maxQueuedExecutions,
    "execution_retention_days": \.executionRetentionDays,
    "max_value_bytes": \.maxValueBytes, "max_run_memory_bytes": \.maxRunMemoryBytes,
    "max_result_bytes": \.maxResultBytes,
  ]
}
