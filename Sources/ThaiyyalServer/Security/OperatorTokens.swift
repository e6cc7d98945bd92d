/// Operator tokens for TCP, minted from the data directory's key file by `thaiyyal token operator`.
/// Only someone who can read the key file can mint one.
public enum OperatorTokens {
  /// - Throws: ``ConfigurationError`` when the key file is missing or unreadable.
  public static func mint(dataDirectory: String, lifetime: Duration) async throws -> String {
    let ring = try KeyRing.load(secret: nil, dataDirectory: dataDirectory, createIfMissing: false)
    return try await TokenIssuer(ring: ring).issueOperator(lifetime: lifetime)
  }
}
