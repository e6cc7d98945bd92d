import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the data directory's `thaiyyal.lock`, which a server on SQLite holds while
/// it runs. SQLite would let a second server open the same file, and each would recover the
/// other's executions as interrupted; the second is refused at start instead. `restore` checks it
/// before replacing a database. The lock is `flock`'s: the kernel drops it when the process ends,
/// however it ends, so a killed server leaves nothing to clean up.
public final class DataDirectoryLock: Sendable {
  private let descriptor: Int32

  private init(descriptor: Int32) {
    self.descriptor = descriptor
  }

  /// The lock file of `directory`.
  public static func path(in directory: String) -> String {
    (directory as NSString).appendingPathComponent("thaiyyal.lock")
  }

  /// Takes the lock, or throws when another process holds it.
  static func acquire(in directory: String) throws -> DataDirectoryLock {
    let path = path(in: directory)
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw DataDirectoryError("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      close(descriptor)
      throw DataDirectoryError(
        "another server is running on the data directory \(directory) (it holds \(path))"
      )
    }
    return DataDirectoryLock(descriptor: descriptor)
  }

  /// Whether a running server holds the lock of `directory`.
  public static func isHeld(in directory: String) -> Bool {
    let descriptor = open(path(in: directory), O_RDWR | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return true }
    flock(descriptor, LOCK_UN)
    return false
  }

  deinit {
    close(descriptor)
  }
}
