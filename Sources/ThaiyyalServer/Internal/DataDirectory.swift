import Foundation
import Logging

/// The data directory holds the database (password hashes, workflows) and the signing key: only
/// the server's user may enter it.
enum DataDirectory {
  /// Creates the directory 0700, or takes an existing one that others can enter away from them,
  /// saying so in the log. Throws when its permissions cannot be changed (another user owns it).
  static func prepare(_ path: String, logger: Logger) throws {
    let files = FileManager.default
    guard files.fileExists(atPath: path) else {
      try files.createDirectory(
        atPath: path,
        withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700]
      )
      return
    }
    let mode = (try files.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
    guard mode & 0o077 != 0 else { return }
    do {
      try files.setAttributes([.posixPermissions: mode & 0o700], ofItemAtPath: path)
    } catch {
      throw DataDirectoryError(
        "the data directory \(path) can be read by other users (mode \(String(mode, radix: 8))) "
          + "and its permissions cannot be changed: \(error.localizedDescription)"
      )
    }
    logger.warning(
      "the data directory could be read by other users; it is now private to the server's user",
      metadata: [
        "path": "\(path)", "old_mode": "\(String(mode, radix: 8))",
        "new_mode": "\(String(mode & 0o700, radix: 8))",
      ]
    )
  }
}

/// The data directory cannot be made private.
struct DataDirectoryError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
