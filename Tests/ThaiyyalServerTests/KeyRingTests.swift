import Foundation
import Testing
import ThaiyyalTesting

@testable import ThaiyyalServer

@Suite("Signing keys")
struct KeyRingTests {
  @Test(
    "the placeholder secret and short secrets are refused",
    arguments: ["change-me-in-production", "too short"]
  )
  func refused(secret: String) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    #expect(throws: ConfigurationError.self) {
      try KeyRing.load(secret: secret, dataDirectory: directory.path)
    }
  }

  @Test("a key file is generated once with mode 0600, and kept")
  func generated() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let first = try KeyRing.load(secret: nil, dataDirectory: directory.path)
    let path = KeyRing.fileURL(dataDirectory: directory.path).path
    #expect(
      (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600
    )
    #expect(first.signingKey.secret.count == 32)
    let second = try KeyRing.load(secret: nil, dataDirectory: directory.path)
    #expect(second.signingKey.id == first.signingKey.id)
    #expect(second.signingKey.secret == first.signingKey.secret)
  }

  @Test("keys rotate: a new first line signs, the old one still verifies")
  func rotation() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let old = try KeyRing.load(secret: nil, dataDirectory: directory.path)
    let oldToken = try await TokenIssuer(ring: old).issueOperator(lifetime: .seconds(60))
    let path = KeyRing.fileURL(dataDirectory: directory.path).path
    let existing = try String(contentsOfFile: path, encoding: .utf8)
    let newLine = "k2 \(Data(repeating: 7, count: 32).base64EncodedString())\n"
    try (newLine + existing).write(toFile: path, atomically: true, encoding: .utf8)
    let rotated = try KeyRing.load(secret: nil, dataDirectory: directory.path)
    #expect(rotated.signingKey.id == "k2")
    let issuer = await TokenIssuer(ring: rotated)
    #expect(try await issuer.verify(oldToken).sub == "operator")
    let newToken = try await issuer.issueOperator(lifetime: .seconds(60))
    #expect(newToken.split(separator: ".").count == 3)
    // A token signed only with the new key does not verify under the old ring.
    await #expect(throws: (any Error).self) { try await TokenIssuer(ring: old).verify(newToken) }
  }
}
