import ArgumentParser
import Foundation
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC

/// `thaiyyal import-workflows PATH...`: stores the workflow files the original single-tenant
/// Thaiyyal tools save (`{"name", "description", "nodes", "edges"}`) as workflows of a tenant,
/// one by one, and reports each file's outcome with its validation problems. A file that is
/// refused does not stop the others; the exit status is 1 when any was refused.
struct ImportWorkflowsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import-workflows",
    abstract: "Import workflow files saved by single-tenant Thaiyyal into a tenant."
  )

  @OptionGroup var server: ServerAddressOptions

  @Argument(help: "Workflow JSON files, or directories whose *.json files are imported.")
  var paths: [String]

  func run() async throws {
    let files = try Self.files(paths)
    guard !files.isEmpty else {
      throw UsageError("no workflow files in \(paths.joined(separator: " "))")
    }
    let refused = try await server.call { client, options in
      var refused = 0
      for file in files {
        do {
          let request = try Self.request(file)
          let workflow = try await client.workflows.createWorkflow(request, options: options)
          print("imported \(file): \(workflow.id) \(workflow.name)")
        } catch let error as RPCError where error.errorInfo?.reason == "TENANT_REQUIRED" {
          // Not this file's fault: no file would land anywhere.
          throw UsageError(
            "name the tenant to import into with --tenant SLUG, or sign in first (thaiyyal login --tenant SLUG); a server for one organisation (multi_tenant.enabled: false) needs neither"
          )
        } catch let error as RPCError {
          refused += 1
          print("refused  \(file): \(error.code): \(error.message)")
          for violation in error.badRequest?.fieldViolations ?? [] {
            print("    \(violation.field): \(violation.description_p)")
          }
        } catch {
          refused += 1
          print("refused  \(file): \(error)")
        }
      }
      return refused
    }
    print("\(files.count - refused) of \(files.count) imported")
    if refused > 0 { throw ExitCode(1) }
  }

  /// The files named, a directory's `*.json` files in name order.
  static func files(_ paths: [String]) throws -> [String] {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UsageError("no such file or directory: \(path)")
      }
      if isDirectory.boolValue {
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
        files += names.filter { $0.hasSuffix(".json") }.sorted().map {
          (path as NSString).appendingPathComponent($0)
        }
      } else {
        files.append(path)
      }
    }
    return files
  }

  /// The workflow a file holds: its `name` (else the file's name), its `description`, and the
  /// whole text as the definition (the engine reads `nodes` and `edges` and ignores the rest).
  static func request(_ file: String) throws -> Thaiyyal_V1_CreateWorkflowRequest {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw UsageError("cannot read \(file)")
    }
    var request = Thaiyyal_V1_CreateWorkflowRequest()
    request.definitionJson = String(decoding: data, as: UTF8.self)
    let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    let name = (document?["name"] as? String).map { $0.trimmingCharacters(in: .whitespaces) }
    request.name = String((name?.isEmpty == false ? name! : stem).prefix(200))
    request.description_p = String(((document?["description"] as? String) ?? "").prefix(2000))
    return request
  }
}
