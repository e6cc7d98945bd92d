/// Who is on the other end of a connection, as the transport saw it.
///
/// Unix-socket peers carry kernel-verified credentials (`SO_PEERCRED`), which the server may trust
/// for operator identity; TCP peers carry only an address and are never trusted that way.
public enum Peer: Hashable, Sendable, CustomStringConvertible {
  case unixSocket(PeerCredentials?)
  case tcp(address: String)
  case inProcess

  public var description: String {
    switch self {
    case .unixSocket(let credentials?): "unix:pid=\(credentials.pid),uid=\(credentials.uid)"
    case .unixSocket(nil): "unix"
    case .tcp(let address): "tcp:\(address)"
    case .inProcess: "in-process"
    }
  }
}

/// Process credentials of a Unix-socket peer, read from the kernel when the connection was accepted.
public struct PeerCredentials: Hashable, Sendable {
  public var pid: Int32
  public var uid: UInt32
  public var gid: UInt32

  public init(pid: Int32, uid: UInt32, gid: UInt32) {
    self.pid = pid
    self.uid = uid
    self.gid = gid
  }
}
