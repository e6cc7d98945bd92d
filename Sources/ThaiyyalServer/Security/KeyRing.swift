import Crypto
import Foundation

/// The HMAC keys that sign and verify tokens: the first signs, all verify, so a key can be rotated
/// by adding a new first line and removing the old one once its tokens have expired.
///
/// Keys come from `security.jwt_secret` (or `THAIYYAL_JWT_SECRET`), else from `<data>/jwt.key`,
/// which is generated with 32 random bytes and mode 0600 on first start. The file holds one key a
/// line: `<kid> <base64 secret>`.
struct KeyRing: Sendable {
  struct Key: Sendable {
    var id: String
    var secret: [UInt8]
  }

  /// Keys, the signing key first.
  let keys: [Key]

  var signingKey: Key { keys[0] }

  /// Secrets the server refuses to run with.
  static let placeholders: Set<String> = [
    "change-me-in-production", "changeme", "secret", "your-secret-key",
  ]
  static let minimumSecretBytes = 32

  static func fileURL(dataDirectory: String) -> URL {
    URL(fileURLWithPath: dataDirectory).appendingPathComponent("jwt.key")
  }

  /// The configured secret if any, else the key file, generated when missing.
  ///
  /// - Throws: ``ConfigurationError`` for a placeholder or short secret, or an unreadable key file.
  static func load(
    secret: String?,
    dataDirectory: String,
    createIfMissing: Bool = true
  ) throws -> KeyRing {
    if let secret, !secret.isEmpty {
      try validate(Array(secret.utf8), source: "security.jwt_secret")
      let id = String(
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined().prefix(8)
      )
      return KeyRing(keys: [Key(id: id, secret: Array(secret.utf8))])
    }
    let url = fileURL(dataDirectory: dataDirectory)
    if !FileManager.default.fileExists(atPath: url.path) {
      guard createIfMissing else {
        throw ConfigurationError("no key file at \(url.path); start the server once to create it")
      }
      try generate(at: url)
    }
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw ConfigurationError("cannot read the key file \(url.path)")
    }
    var keys: [Key] = []
    for (number, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let secret = Data(base64Encoded: String(parts[1])) else {
        throw ConfigurationError("\(url.path) line \(number + 1): expected '<kid> <base64 secret>'")
      }
      try validate(Array(secret), source: "\(url.path) line \(number + 1)")
      keys.append(Key(id: String(parts[0]), secret: Array(secret)))
    }
    guard !keys.isEmpty else { throw ConfigurationError("\(url.path) holds no key") }
    return KeyRing(keys: keys)
  }

  private static func validate(_ secret: [UInt8], source: String) throws {
    if placeholders.contains(String(decoding: secret, as: UTF8.self)) {
      throw ConfigurationError(
        "\(source) is a known placeholder secret; set a random secret of at least 32 bytes"
      )
    }
    guard secret.count >= minimumSecretBytes else {
      throw ConfigurationError("\(source) is shorter than \(minimumSecretBytes) bytes")
    }
  }

  private static func generate(at url: URL) throws {
    var secret = [UInt8](repeating: 0, count: 32)
    var generator = SystemRandomNumberGenerator()
    for i in secret.indices { secret[i] = UInt8.random(in: 0 ... 255, using: &generator) }
    let id = String(
      (0 ..< 4).map { _ in String(format: "%02x", UInt8.random(in: 0 ... 255)) }.joined()
    )
    let contents = "\(id) \(Data(secret).base64EncodedString())\n"
    guard
      FileManager.default.createFile(
        atPath: url.path,
        contents: Data(contents.utf8),
        attributes: [.posixPermissions: 0o600]
      )
    else {
      throw ConfigurationError("cannot create the key file \(url.path)")
    }
  }
}
