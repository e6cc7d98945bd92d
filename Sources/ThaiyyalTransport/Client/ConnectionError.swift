public import ThaiyyalRPC

/// The client could not reach the server, or lost the connection before an answer arrived.
///
/// Distinct from a status the server sent, so a CLI can tell "the server said no" (exit 1) from
/// "no server" (exit 3). As an ``RPCError`` it is `UNAVAILABLE`.
public struct ConnectionError: Error, RPCErrorConvertible, CustomStringConvertible, Sendable {
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
  public var rpcError: RPCError { RPCError(.unavailable, message) }
}
