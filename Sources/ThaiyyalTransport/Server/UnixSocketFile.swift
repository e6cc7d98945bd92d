#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// Safe handling of the Unix socket file: a stale file from a crashed run is replaced only when
/// nothing listens on it, the new socket gets the configured mode, and on exit only our own file
/// is removed.
public enum UnixSocketFile {
  /// Prepares `path` for binding: removes a stale socket, refuses a live one or a non-socket file.
  static func prepare(path: String) throws(TransportError) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    guard info.st_mode & S_IFMT == S_IFSOCK else { throw .socketPathOccupied(path: path) }
    if isListening(path: path) { throw .socketInUse(path: path) }
    unlink(path)
  }

  /// Whether a server accepts connections on `path`.
  public static func isListening(path: String) -> Bool {
    #if canImport(Glibc)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_UNIX, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return withAddress(of: path) { connect(fd, $0, $1) } == 0
  }

  /// Calls `body` with the address of the socket file `path`, as a `sockaddr` and its length;
  /// `nil` when the path is too long for one.
  public static func withAddress<T>(
    of path: String,
    _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
  ) -> T? {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
  }

  /// Sets the file's permission bits; returns its inode so removal can check it is still ours.
  static func finishBinding(path: String, mode: UInt32) -> UInt64? {
    chmod(path, mode_t(mode))
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_ino)
  }

  /// Removes the socket file if it is still the one we created.
  static func remove(path: String, inode: UInt64?) {
    var info = stat()
    guard lstat(path, &info) == 0, inode == nil || UInt64(info.st_ino) == inode else { return }
    unlink(path)
  }
}
