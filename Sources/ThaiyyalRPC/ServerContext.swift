public import Logging

/// Everything a handler knows about the call besides its message.
///
/// Interceptors enrich it and pass the copy on (`var context = context; context[Key.self] = v`);
/// identity never travels through globals. Layers above this one add typed accessors with
/// ``ServerContextKey``, e.g. `context.principal` in the server.
public struct ServerContext: Sendable {
  /// The method being called.
  public let descriptor: MethodDescriptor
  /// Metadata the client sent, keys lower-cased.
  public var metadata: Metadata
  /// The connection's peer.
  public let peer: Peer
  /// When the call must be answered by; `nil` when the client set no timeout.
  public var deadline: ContinuousClock.Instant?
  /// The request id: the client's `x-request-id` when valid, else generated.
  public var requestID: String
  /// A logger carrying the request id; interceptors add more metadata (tenant, user).
  public var logger: Logger

  private var values: [ObjectIdentifier: any Sendable] = [:]

  public init(
    descriptor: MethodDescriptor,
    metadata: Metadata,
    peer: Peer,
    deadline: ContinuousClock.Instant?,
    logger: Logger
  ) {
    self.descriptor = descriptor
    self.metadata = metadata
    self.peer = peer
    self.deadline = deadline
    self.requestID = RequestID.accept(metadata[Metadata.WellKnown.requestID]) ?? RequestID.next()
    self.logger = logger
  }

  /// Typed extension storage for values that layers above the RPC core attach.
  public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
    get { values[ObjectIdentifier(key)] as? Key.Value }
    set { values[ObjectIdentifier(key)] = newValue }
  }
}

/// A key for ``ServerContext`` extension storage; the type itself is the key.
public protocol ServerContextKey {
  associatedtype Value: Sendable
}
