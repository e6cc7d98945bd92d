/// The one error type that crosses the wire.
///
/// Handlers and interceptors throw it to answer a call with a status. Anything else thrown becomes
/// ``RPCError/Code/internalError`` at the single conversion point, ``RPCStatus/init(error:)``, so
/// internal details (SQL, file paths, stack traces) never reach a client.
///
/// ```swift
/// throw RPCError(.notFound, "workflow \(id) not found")
/// ```
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The gRPC status code.
  public var code: Code
  /// A message for the developer calling the API; never contains secrets or internals.
  public var message: String
  /// Machine-readable detail (`google.rpc.ErrorInfo`, `BadRequest`, `RetryInfo`, ...).
  public var details: [Detail]

  public init(_ code: Code, _ message: String, details: [Detail] = []) {
    self.code = code
    self.message = message
    self.details = details
  }

  public var description: String { "\(code): \(message)" }
}

extension RPCError {
  /// A status code. A struct over a private enum, as grpc-swift does, so codes can be added later
  /// without breaking exhaustive `switch`es in client code.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: Int, Sendable {
      case ok = 0
      case cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists
      case permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange
      case unimplemented, internalError, unavailable, dataLoss, unauthenticated
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// Creates a code from its wire value; unknown values are `nil`.
    public init?(rawValue: Int) {
      guard let wrapped = Wrapped(rawValue: rawValue) else { return nil }
      self.wrapped = wrapped
    }

    /// The wire value (gRPC numbering).
    public var rawValue: Int { wrapped.rawValue }

    public static let ok = Code(.ok)
    public static let cancelled = Code(.cancelled)
    public static let unknown = Code(.unknown)
    public static let invalidArgument = Code(.invalidArgument)
    public static let deadlineExceeded = Code(.deadlineExceeded)
    public static let notFound = Code(.notFound)
    public static let alreadyExists = Code(.alreadyExists)
    public static let permissionDenied = Code(.permissionDenied)
    public static let resourceExhausted = Code(.resourceExhausted)
    public static let failedPrecondition = Code(.failedPrecondition)
    public static let aborted = Code(.aborted)
    public static let outOfRange = Code(.outOfRange)
    public static let unimplemented = Code(.unimplemented)
    public static let internalError = Code(.internalError)
    public static let unavailable = Code(.unavailable)
    public static let dataLoss = Code(.dataLoss)
    public static let unauthenticated = Code(.unauthenticated)

    /// The canonical upper-case name, e.g. `NOT_FOUND`, as the CLI prints it.
    public var description: String {
      switch wrapped {
      case .ok: "OK"
      case .cancelled: "CANCELLED"
      case .unknown: "UNKNOWN"
      case .invalidArgument: "INVALID_ARGUMENT"
      case .deadlineExceeded: "DEADLINE_EXCEEDED"
      case .notFound: "NOT_FOUND"
      case .alreadyExists: "ALREADY_EXISTS"
      case .permissionDenied: "PERMISSION_DENIED"
      case .resourceExhausted: "RESOURCE_EXHAUSTED"
      case .failedPrecondition: "FAILED_PRECONDITION"
      case .aborted: "ABORTED"
      case .outOfRange: "OUT_OF_RANGE"
      case .unimplemented: "UNIMPLEMENTED"
      case .internalError: "INTERNAL"
      case .unavailable: "UNAVAILABLE"
      case .dataLoss: "DATA_LOSS"
      case .unauthenticated: "UNAUTHENTICATED"
      }
    }
  }

  /// One `google.protobuf.Any` of `google.rpc.Status.details`: a type URL and the encoded message.
  ///
  /// The RPC layer does not know Protobuf; `ThaiyyalProto` adds typed constructors such as
  /// `RPCError.Detail.errorInfo(reason:metadata:)`.
  public struct Detail: Hashable, Sendable {
    public var typeURL: String
    public var value: [UInt8]

    public init(typeURL: String, value: [UInt8]) {
      self.typeURL = typeURL
      self.value = value
    }
  }
}

/// An error that knows which ``RPCError`` it should become on the wire.
///
/// Domain errors adopt this in the server layer, so the mapping from domain to status lives in one
/// place per error type instead of in every handler.
public protocol RPCErrorConvertible: Error {
  var rpcError: RPCError { get }
}
