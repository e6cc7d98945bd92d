import Crypto
import CryptoExtras
import Foundation

/// Hashes and verifies passwords with scrypt, storing the parameters beside each hash so they can be
/// raised later without invalidating old hashes.
///
/// Format: `scrypt$N$r$p$<salt base64>$<hash base64>`. Verification compares in constant time.
/// Hashing is deliberately slow (tens of milliseconds); callers run it off the event loop.
struct PasswordHasher: Sendable {
  /// log2 of scrypt's cost N.
  var logN: Int = 14
  var blockSize: Int = 8
  var parallelism: Int = 1

  /// The shortest password accepted.
  static let minimumLength = 8
  /// The longest password accepted; longer input is refused before hashing (a cheap DoS guard).
  static let maximumLength = 1024

  /// Checks the password policy.
  ///
  /// - Returns: Why the password is refused, or `nil`.
  static func policyViolation(_ password: String) -> String? {
    let count = password.count
    if count < minimumLength { return "must be at least \(minimumLength) characters" }
    if password.utf8.count > maximumLength { return "must be at most \(maximumLength) bytes" }
    return nil
  }

  func hash(_ password: String) throws -> String {
    var salt = [UInt8](repeating: 0, count: 16)
    var generator = SystemRandomNumberGenerator()
    for i in salt.indices { salt[i] = UInt8.random(in: 0 ... 255, using: &generator) }
    let derived = try derive(password, salt: salt, logN: logN, r: blockSize, p: parallelism)
    return
      "scrypt$\(1 << logN)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
  }

  /// Whether `password` matches `encoded`; a malformed hash never matches.
  func verify(_ password: String, against encoded: String) -> Bool {
    guard let stored = Self.parse(encoded),
      let derived = try? derive(
        password,
        salt: stored.salt,
        logN: stored.n.trailingZeroBitCount,
        r: stored.r,
        p: stored.p
      )
    else { return false }
    guard derived.count == stored.hash.count else { return false }
    var difference: UInt8 = 0
    for (a, b) in zip(derived, stored.hash) { difference |= a ^ b }
    return difference == 0
  }

  /// The parts of a stored hash, `nil` when it is malformed or its cost is beyond what this
  /// server would ever configure (N up to 2^20 with r = 8: at most 1 GiB of scrypt memory, p up
  /// to 16): a hash from elsewhere (a tenant archive) cannot make a login take more.
  static func parse(_ encoded: String) -> (n: Int, r: Int, p: Int, salt: [UInt8], hash: [UInt8])? {
    let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
    guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), n > 1, n <= 1 << 20,
      n.nonzeroBitCount == 1,
      let r = Int(parts[2]), let p = Int(parts[3]), (1 ... 32).contains(r), (1 ... 16).contains(p),
      n * r <= 1 << 23,
      let salt = Data(base64Encoded: String(parts[4])),
      let hash = Data(base64Encoded: String(parts[5])), !hash.isEmpty
    else { return nil }
    return (n, r, p, Array(salt), Array(hash))
  }

  /// Whether `encoded` uses weaker parameters than this hasher, so it should be re-hashed.
  func needsRehash(_ encoded: String) -> Bool {
    guard let stored = Self.parse(encoded) else { return true }
    return stored.n < 1 << logN || stored.r < blockSize
  }

  private func derive(
    _ password: String,
    salt: [UInt8],
    logN: Int,
    r: Int,
    p: Int
  ) throws -> [UInt8] {
    let key = try KDF.Scrypt.deriveKey(
      from: Array(password.utf8),
      salt: salt,
      outputByteCount: 32,
      rounds: 1 << logN,
      blockSize: r,
      parallelism: p
    )
    return key.withUnsafeBytes { Array($0) }
  }
}
