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
  public var requestID: String {
    get { clientRequestID ?? RequestID.format(generatedRequestID) }
    set { clientRequestID = newValue }
  }
  /// A logger tagged with the request id and method. The tags are added when the logger is read,
  /// so calls that never log never pay for them.
  public var logger: Logger {
    get {
      var logger = baseLogger
      logger[metadataKey: "request-id"] = .string(requestID)
      logger[metadataKey: "method"] = .stringConvertible(descriptor)
      return logger
    }
    set { baseLogger = newValue }
  }

  private var baseLogger: Logger
  private var clientRequestID: String?
  private let generatedRequestID: UInt64
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
    self.clientRequestID =
      metadata.isEmpty ? nil : RequestID.accept(metadata[Metadata.WellKnown.requestID])
    self.generatedRequestID = RequestID.nextNumber()
    self.baseLogger = logger
  }

  /// Whether a message at `level` would be logged; check before building an expensive message.
  public func isLogging(at level: Logger.Level) -> Bool {
    baseLogger.logLevel <= level
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
