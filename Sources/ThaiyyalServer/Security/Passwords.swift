/// Password hashing as the application layer uses it: scrypt on ``BlockingWork``'s threads, never
/// on the threads that serve calls.
struct Passwords: Sendable {
  let hasher: PasswordHasher
  let blocking: BlockingWork

  func hash(_ password: String) async throws -> String {
    try await blocking.run { [hasher] in try hasher.hash(password) }
  }

  func verify(_ password: String, against hash: String) async throws -> Bool {
    try await blocking.run { [hasher] in hasher.verify(password, against: hash) }
  }

  /// A new hash when `stored` was made with weaker parameters than today's, else `nil`.
  func upgrade(_ password: String, from stored: String) async throws -> String? {
    hasher.needsRehash(stored) ? try await hash(password) : nil
  }
}
