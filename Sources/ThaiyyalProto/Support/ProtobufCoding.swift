public import SwiftProtobuf
public import ThaiyyalRPC

/// Encodes and decodes the inner Protobuf messages of calls for the generated service glue.
///
/// A request that does not decode as its method's message answers `INVALID_ARGUMENT`, as ttrpc
/// clients expect; a response the client cannot decode is `INTERNAL` on the client side.
public enum ProtobufCoding {
  /// Decodes a handler's request.
  ///
  /// - Throws: ``RPCError`` `INVALID_ARGUMENT` naming the method when `payload` is not a `M`.
  public static func decodeRequest<M: Message>(
    _ type: M.Type,
    from payload: [UInt8],
    method: MethodDescriptor
  ) throws(RPCError) -> M {
    do {
      return try M(serializedBytes: payload)
    } catch {
      throw RPCError(
        .invalidArgument,
        "payload is not a valid \(M.protoMessageName) for \(method.fullName)"
      )
    }
  }

  /// Encodes a handler's response.
  public static func encodeResponse<M: Message>(_ message: M) throws -> [UInt8] {
    try message.serializedBytes()
  }

  /// Performs one unary call for a generated client stub.
  public static func call<Request: Message, Response: Message>(
    _ method: MethodDescriptor,
    _ request: Request,
    responseType: Response.Type,
    transport: some ClientTransport,
    options: CallOptions
  ) async throws -> Response {
    let payload: [UInt8] = try request.serializedBytes()
    let answer = try await transport.unary(method, payload: payload, options: options)
    do {
      return try Response(serializedBytes: answer)
    } catch {
      throw RPCError(
        .internalError,
        "response of \(method.fullName) is not a valid \(Response.protoMessageName)"
      )
    }
  }
}
