import Foundation

/// The token `thaiyyal login` keeps for later commands: `$XDG_CONFIG_HOME/thaiyyal/credentials.json`
/// (else `~/.config/thaiyyal/`), readable by its owner only (0600 in a 0700 directory).
struct StoredLogin: Codable {
  var tenant: String
  var user: String
  var token: String
  /// Milliseconds since the epoch.
  var expiresAt: Int64
}

enum CredentialStore {
  static var fileURL: URL {
    let environment = ProcessInfo.processInfo.environment
    let base =
      environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
    return base.appendingPathComponent("thaiyyal/credentials.json")
  }

  static func load() -> StoredLogin? {
    guard let data = try? Data(contentsOf: fileURL) else { return nil }
    return try? JSONDecoder().decode(StoredLogin.self, from: data)
  }

  static func save(_ login: StoredLogin) throws {
    let directory = fileURL.deletingLastPathComponent()
    try FileManager.default.createDirectory(
      at: directory,
      withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700]
    )
    let data = try JSONEncoder().encode(login)
    // Create with 0600 before writing, so the token is never readable by others, even briefly.
    _ = FileManager.default.createFile(
      atPath: fileURL.path,
      contents: nil,
      attributes: [.posixPermissions: 0o600]
    )
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: fileURL.path)
    let handle = try FileHandle(forWritingTo: fileURL)
    defer { try? handle.close() }
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: data)
  }

  static func remove() {
    try? FileManager.default.removeItem(at: fileURL)
  }
}
