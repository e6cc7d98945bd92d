/// Where a server listens or a client connects: a Unix socket path or a TCP host and port.
public enum BindAddress: Hashable, Sendable, CustomStringConvertible {
  case unixDomainSocket(path: String)
  case tcp(host: String, port: Int)

  /// Parses `HOST:PORT` (`127.0.0.1:7480`, `[::1]:7480`, `localhost:7480`).
  public static func parseTCP(_ text: String) throws(TransportError) -> BindAddress {
    let host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":")
      else {
        throw .invalidAddress(text)
      }
      host = text[text.index(after: text.startIndex) ..< close]
      portText = text[text.index(close, offsetBy: 2)...]
    } else {
      guard let colon = text.lastIndex(of: ":") else { throw .invalidAddress(text) }
      host = text[..<colon]
      portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, !host.contains(" "), let port = Int(portText), (0 ... 65535).contains(port)
    else {
      throw .invalidAddress(text)
    }
    return .tcp(host: String(host), port: port)
  }

  public var description: String {
    switch self {
    case .unixDomainSocket(let path): "unix:\(path)"
    case .tcp(let host, let port):
      host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
    }
  }
}
