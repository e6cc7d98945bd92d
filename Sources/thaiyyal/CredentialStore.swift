import Foundation
import ThaiyyalTransport

/// A token `thaiyyal login` keeps for later commands to the same server.
struct StoredLogin: Codable {
  var tenant: String
  var user: String
  var token: String
  /// Milliseconds since the epoch.
  var expiresAt: Int64
}

/// The logins `thaiyyal login` keeps, one per server address, in
/// `$XDG_CONFIG_HOME/thaiyyal/credentials.json` (else `~/.config/thaiyyal/`), readable by its owner
/// only (0600 in a 0700 directory). A login is only ever sent to the server it was made with, and
/// an expired one is not sent at all. A file in the older single-login format holds no server
/// address, so its login is never sent anywhere.
enum CredentialStore {
  private struct File: Codable {
    var logins: [String: StoredLogin] = [:]
  }

  static var fileURL: URL {
    let environment = ProcessInfo.processInfo.environment
    let base =
      environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
    return base.appendingPathComponent("thaiyyal/credentials.json")
  }

  /// The key of a server: its socket's absolute path, or its TCP host and port.
  static func key(_ address: BindAddress) -> String {
    switch address {
    case .unixDomainSocket(let path):
      "unix:" + URL(fileURLWithPath: path).standardizedFileURL.path
    case .tcp(let host, let port):
      "tcp:\(host):\(port)"
    }
  }

  /// The unexpired login kept for `server`.
  static func load(for server: BindAddress) -> StoredLogin? {
    guard let login = readFile().logins[key(server)] else { return nil }
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    return login.expiresAt > now ? login : nil
  }

  static func save(_ login: StoredLogin, for server: BindAddress) throws {
    var file = readFile()
    file.logins[key(server)] = login
    try write(file)
  }

  static func remove(for server: BindAddress) {
    var file = readFile()
    guard file.logins.removeValue(forKey: key(server)) != nil else { return }
    try? write(file)
  }

  private static func readFile() -> File {
    guard let data = try? Data(contentsOf: fileURL) else { return File() }
    return (try? JSONDecoder().decode(File.self, from: data)) ?? File()
  }

  private static func write(_ file: File) throws {
    let directory = fileURL.deletingLastPathComponent()
    try FileManager.default.createDirectory(
      at: directory,
      withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700]
    )
    let data = try JSONEncoder().encode(file)
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
}
