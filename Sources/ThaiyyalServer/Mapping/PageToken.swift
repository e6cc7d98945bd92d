import Foundation
import ThaiyyalCore
import ThaiyyalRPC

/// Opaque page tokens over store cursors: clients must not build or parse them.
enum PageToken {
  private static let prefix = "c1:"

  static func encode(_ cursor: String?) -> String {
    guard let cursor else { return "" }
    return Data((prefix + cursor).utf8).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  /// The page a request asks for.
  ///
  /// - Throws: `INVALID_ARGUMENT` for a negative size or a token this server did not issue.
  static func page(size: Int32, token: String) throws(RPCError) -> PageRequest {
    guard size >= 0 else { throw RPCError(.invalidArgument, "page_size must not be negative") }
    let size = size == 0 ? PageRequest.defaultSize : min(Int(size), PageRequest.maxSize)
    guard !token.isEmpty else { return PageRequest(size: size, after: nil) }
    var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(
      of: "_",
      with: "/"
    )
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    guard token.utf8.count <= 1024, let data = Data(base64Encoded: base64),
      let text = String(data: data, encoding: .utf8), text.hasPrefix(prefix),
      split(String(text.dropFirst(prefix.count))) != nil
    else {
      throw RPCError(.invalidArgument, "page_token is not a token this server issued")
    }
    return PageRequest(size: size, after: String(text.dropFirst(prefix.count)))
  }

  /// A cursor is the last item's id, optionally followed by `:` and its sort key.
  static func cursor(id: String, key: String) -> String { id + ":" + key }

  /// The id and sort key of a cursor; `nil` when it is not one this server made.
  static func split(_ cursor: String) -> (id: String, key: String?)? {
    let id = String(cursor.prefix(36))
    guard UUIDv7.isValid(id) else { return nil }
    let rest = cursor.dropFirst(36)
    if rest.isEmpty { return (id, nil) }
    guard rest.first == ":" else { return nil }
    return (id, String(rest.dropFirst()))
  }
}
