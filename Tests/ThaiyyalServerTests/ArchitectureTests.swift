import Foundation
import Testing

/// The layering the code promises, checked on the sources so a shortcut fails here instead of in
/// review: who may make a tenant scope, and that handlers stay thin.
@Suite("Architecture")
struct ArchitectureTests {
  static let sources = DocumentationTests.root.appendingPathComponent("Sources")

  /// Every Swift file under `Sources/`, by its path relative to the repository, with its text.
  static func sourceFiles() throws -> [(path: String, text: String)] {
    let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
    var found: [(String, String)] = []
    while let url = files?.nextObject() as? URL {
      guard url.pathExtension == "swift" else { continue }
      let path = String(url.path.dropFirst(DocumentationTests.root.path.count + 1))
      found.append((path, try String(contentsOf: url, encoding: .utf8)))
    }
    return found.sorted { $0.0 < $1.0 }
  }

  @Test("only tenant resolution and the cross-tenant door make tenant scopes")
  func scopeIssuance() throws {
    let files = try Self.sourceFiles()
    #expect(files.count > 50)
    let issuers = files.filter { file in
      file.text.split(separator: "\n").contains {
        $0.hasPrefix("@_spi(TenantScopeIssuance) import")
      }
    }
    #expect(
      issuers.map(\.path) == [
        "Sources/ThaiyyalServer/Policy/CrossTenantAccess.swift",
        "Sources/ThaiyyalServer/Policy/TenantResolution.swift",
      ]
    )
    // Nothing else spells the initialiser, even in a comment that could become code.
    let makers = files.filter { file in
      file.text.contains("TenantScope(") && !file.path.hasSuffix("TenantScope.swift")
    }
    #expect(makers.map(\.path) == issuers.map(\.path))
  }

  @Test("services map messages to the application layer: no store, no SQL, about 300 lines at most")
  func thinServices() throws {
    let services = try Self.sourceFiles().filter {
      $0.path.hasPrefix("Sources/ThaiyyalServer/Services/")
    }
    #expect(services.count >= 6)
    for service in services {
      let lines = service.text.split(separator: "\n", omittingEmptySubsequences: false).count
      #expect(lines <= 300, "\(service.path) has \(lines) lines")
      #expect(!service.text.contains("SQLiteStore"), "\(service.path) reaches the store")
      #expect(!service.text.contains(".write {"), "\(service.path) opens a transaction")
      #expect(!service.text.contains("requireTenant()"), "\(service.path) re-derives the tenant")
    }
  }

  @Test(
    "storage is reached through the Persistence protocol; only the composition root names a backend"
  )
  func persistenceBehindProtocols() throws {
    let files = try Self.sourceFiles()
    let namingSQLite = files.filter {
      $0.path.hasPrefix("Sources/ThaiyyalServer/") && $0.text.contains("SQLiteStore")
    }
    #expect(namingSQLite.map(\.path) == ["Sources/ThaiyyalServer/ServerApplication.swift"])
    let importingGRDB = files.filter { file in
      file.text.split(separator: "\n").contains { $0.hasSuffix("import GRDB") }
    }
    #expect(!importingGRDB.isEmpty)
    for file in importingGRDB {
      #expect(file.path.hasPrefix("Sources/ThaiyyalStore/SQLite/"), "\(file.path) imports GRDB")
    }
  }

  @Test("audit actions are named in one enum, never spelled as strings")
  func auditActions() throws {
    for file in try Self.sourceFiles() where !file.path.hasSuffix("AuditAction.swift") {
      #expect(!file.text.contains("action: \""), "\(file.path) spells an audit action")
    }
  }
}
