public import SwiftProtobuf
public import ThaiyyalRPC

extension RPCError.Detail {
  /// The domain of every `ErrorInfo` this server sends.
  public static let errorDomain = "thaiyyal.dev"

  /// Wraps any message as a `google.protobuf.Any` detail.
  public init(_ message: some Message) {
    let value: [UInt8] = (try? message.serializedBytes()) ?? []
    self.init(typeURL: "type.googleapis.com/\(type(of: message).protoMessageName)", value: value)
  }

  /// A `google.rpc.ErrorInfo` with a stable reason, e.g. `QUOTA_EXCEEDED`.
  public static func errorInfo(reason: String, metadata: [String: String] = [:]) -> Self {
    var info = Google_Rpc_ErrorInfo()
    info.reason = reason
    info.domain = errorDomain
    info.metadata = metadata
    return Self(info)
  }

  /// A `google.rpc.BadRequest` listing invalid fields.
  public static func badRequest(_ violations: [(field: String, description: String)]) -> Self {
    var request = Google_Rpc_BadRequest()
    request.fieldViolations = violations.map { violation in
      var v = Google_Rpc_BadRequest.FieldViolation()
      v.field = violation.field
      v.description_p = violation.description
      return v
    }
    return Self(request)
  }

  /// A `google.rpc.RetryInfo` telling the client when to retry.
  public static func retryInfo(after delay: Duration) -> Self {
    var info = Google_Rpc_RetryInfo()
    let (seconds, attoseconds) = delay.components
    info.retryDelay = Google_Protobuf_Duration(
      seconds: seconds,
      nanos: Int32(attoseconds / 1_000_000_000)
    )
    return Self(info)
  }

  /// Decodes this detail as `M` when its type URL names `M`.
  public func unpack<M: Message>(_ type: M.Type) -> M? {
    guard typeURL.hasSuffix("/" + M.protoMessageName) else { return nil }
    return try? M(serializedBytes: value)
  }
}

extension RPCError {
  /// The first `ErrorInfo` among the details.
  public var errorInfo: Google_Rpc_ErrorInfo? {
    details.lazy.compactMap { $0.unpack(Google_Rpc_ErrorInfo.self) }.first
  }

  /// The first `BadRequest` among the details.
  public var badRequest: Google_Rpc_BadRequest? {
    details.lazy.compactMap { $0.unpack(Google_Rpc_BadRequest.self) }.first
  }

  /// The first `RetryInfo` among the details.
  public var retryInfo: Google_Rpc_RetryInfo? {
    details.lazy.compactMap { $0.unpack(Google_Rpc_RetryInfo.self) }.first
  }
}

extension RPCError {
  /// `RESOURCE_EXHAUSTED` for a limit the caller may retry against: an `ErrorInfo` with `reason`
  /// and `metadata`, and a `RetryInfo` saying when.
  public static func retryLater(
    _ message: String,
    reason: String,
    metadata: [String: String] = [:],
    after delay: Duration
  ) -> RPCError {
    RPCError(
      .resourceExhausted,
      message,
      details: [.errorInfo(reason: reason, metadata: metadata), .retryInfo(after: delay)]
    )
  }
}
