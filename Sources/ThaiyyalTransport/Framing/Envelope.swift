package import NIOCore
package import ThaiyyalRPC

/// A decoded `ttrpc.Request`, holding slices of the frame instead of copies.
///
/// Service and method stay as byte slices so the router can match them against its table without
/// building strings; the payload is copied out once, for the handler.
package struct RequestEnvelope {
  package var service: ByteBuffer
  package var method: ByteBuffer
  package var payload: ByteBuffer
  package var timeoutNanos: Int64
  package var metadata: Metadata

  /// Most metadata entries accepted on one request.
  package static let maxMetadataEntries = 128

  /// Decodes a `ttrpc.Request` from frame data.
  ///
  /// - Throws: ``RPCError`` `INVALID_ARGUMENT` when the data is not a well-formed request.
  package init(decoding data: ByteBuffer) throws(RPCError) {
    var data = data
    let empty = ByteBuffer()
    service = empty
    method = empty
    payload = empty
    timeoutNanos = 0
    metadata = Metadata()
    do {
      while data.readableBytes > 0 {
        let (field, wireType) = try data.readProtobufKey()
        switch (field, wireType) {
        case (1, .lengthDelimited): service = try data.readProtobufLengthDelimited()
        case (2, .lengthDelimited): method = try data.readProtobufLengthDelimited()
        case (3, .lengthDelimited): payload = try data.readProtobufLengthDelimited()
        case (4, .varint): timeoutNanos = Int64(bitPattern: try data.readProtobufVarint())
        case (5, .lengthDelimited):
          guard metadata.count < Self.maxMetadataEntries else {
            throw RPCError(
              .invalidArgument,
              "more than \(Self.maxMetadataEntries) metadata entries"
            )
          }
          var entry = try data.readProtobufLengthDelimited()
          var key = ""
          var value = ""
          while entry.readableBytes > 0 {
            let (entryField, entryWireType) = try entry.readProtobufKey()
            switch (entryField, entryWireType) {
            case (1, .lengthDelimited):
              key = String(buffer: try entry.readProtobufLengthDelimited())
            case (2, .lengthDelimited):
              value = String(buffer: try entry.readProtobufLengthDelimited())
            default: try entry.skipProtobufField(entryWireType)
            }
          }
          metadata.add(key, value)
        default:
          try data.skipProtobufField(wireType)
        }
      }
    } catch let error as RPCError {
      throw error
    } catch {
      throw RPCError(.invalidArgument, "frame data is not a valid ttrpc request")
    }
  }

  /// Encodes a `ttrpc.Request` (client side).
  package static func encode(
    service: String,
    method: String,
    payload: [UInt8],
    timeoutNanos: Int64,
    metadata: Metadata,
    into buffer: inout ByteBuffer
  ) {
    buffer.writeProtobufStringField(1, service)
    buffer.writeProtobufStringField(2, method)
    if !payload.isEmpty { buffer.writeProtobufBytesField(3, payload) }
    if timeoutNanos != 0 {
      buffer.writeInteger(UInt8(4 << 3))
      buffer.writeProtobufVarint(UInt64(bitPattern: timeoutNanos))
    }
    for (key, value) in metadata {
      let size =
        1 + ProtobufWire.varintSize(UInt64(key.utf8.count)) + key.utf8.count
        + 1 + ProtobufWire.varintSize(UInt64(value.utf8.count)) + value.utf8.count
      buffer.writeInteger(UInt8(5 << 3 | 2))
      buffer.writeProtobufVarint(UInt64(size))
      buffer.writeProtobufStringField(1, key)
      buffer.writeProtobufStringField(2, value)
    }
  }
}

/// Encodes and decodes `ttrpc.Response` frames.
///
/// Success carries the payload and no status (clients read a missing status as OK); failure
/// carries a `google.rpc.Status` and no payload.
package enum ResponseEnvelope {
  /// Writes a whole response frame for a call's outcome.
  package static func write(
    _ outcome: Outcome,
    streamID: UInt32,
    maxMessageSize: Int,
    into buffer: inout ByteBuffer
  ) {
    switch outcome {
    case .success(let payload):
      writeSuccess(
        streamID: streamID,
        payload: payload,
        maxMessageSize: maxMessageSize,
        into: &buffer
      )
    case .failure(let status):
      writeFailure(streamID: streamID, status: status, into: &buffer)
    }
  }

  /// Writes a whole response frame (header and data) for a successful call.
  ///
  /// A response whose frame would exceed `maxMessageSize` becomes `RESOURCE_EXHAUSTED` instead:
  /// ttrpc clients must never receive an oversized frame.
  package static func writeSuccess(
    streamID: UInt32,
    payload: [UInt8],
    maxMessageSize: Int,
    into buffer: inout ByteBuffer
  ) {
    let length =
      payload.isEmpty ? 0 : 1 + ProtobufWire.varintSize(UInt64(payload.count)) + payload.count
    guard length <= maxMessageSize else {
      let status = RPCStatus(
        code: .resourceExhausted,
        message: "response of \(length) bytes exceeds maximum message size of \(maxMessageSize)"
      )
      writeFailure(streamID: streamID, status: status, into: &buffer)
      return
    }
    buffer.writeFrameHeader(
      FrameHeader(length: UInt32(length), streamID: streamID, type: .response)
    )
    if !payload.isEmpty {
      buffer.writeProtobufBytesField(2, payload)
    }
  }

  /// Writes a whole response frame carrying `status`.
  package static func writeFailure(
    streamID: UInt32,
    status: RPCStatus,
    into buffer: inout ByteBuffer
  ) {
    let headerIndex = buffer.writerIndex
    buffer.writeFrameHeader(FrameHeader(length: 0, streamID: streamID, type: .response))
    let bodyStart = buffer.writerIndex
    var statusBuffer = ByteBuffer()
    writeStatus(status, into: &statusBuffer)
    buffer.writeInteger(UInt8(1 << 3 | 2))
    buffer.writeProtobufVarint(UInt64(statusBuffer.readableBytes))
    buffer.writeBuffer(&statusBuffer)
    buffer.setInteger(UInt32(buffer.writerIndex - bodyStart), at: headerIndex)
  }

  /// Encodes a `google.rpc.Status`.
  package static func writeStatus(_ status: RPCStatus, into buffer: inout ByteBuffer) {
    if status.code.rawValue != 0 {
      buffer.writeInteger(UInt8(1 << 3))
      buffer.writeProtobufVarint(UInt64(status.code.rawValue))
    }
    if !status.message.isEmpty { buffer.writeProtobufStringField(2, status.message) }
    for detail in status.details {
      var any = ByteBuffer()
      any.writeProtobufStringField(1, detail.typeURL)
      if !detail.value.isEmpty { any.writeProtobufBytesField(2, detail.value) }
      buffer.writeProtobufBytesField(3, any.readableBytesView)
    }
  }

  /// The outcome a client reads from response frame data.
  package enum Outcome: Sendable {
    case success([UInt8])
    case failure(RPCStatus)
  }

  /// Decodes a `ttrpc.Response` (client side).
  package static func decode(_ data: ByteBuffer) throws(RPCError) -> Outcome {
    var data = data
    var status: RPCStatus?
    var payload: [UInt8] = []
    do {
      while data.readableBytes > 0 {
        let (field, wireType) = try data.readProtobufKey()
        switch (field, wireType) {
        case (1, .lengthDelimited):
          status = try decodeStatus(try data.readProtobufLengthDelimited())
        case (2, .lengthDelimited): payload = Array(buffer: try data.readProtobufLengthDelimited())
        default: try data.skipProtobufField(wireType)
        }
      }
    } catch {
      throw RPCError(.internalError, "the server sent a malformed response")
    }
    if let status, status.code != .ok { return .failure(status) }
    return .success(payload)
  }

  private static func decodeStatus(
    _ data: ByteBuffer
  ) throws(ProtobufWire.MalformedMessage) -> RPCStatus {
    var data = data
    var code = 0
    var message = ""
    var details: [RPCError.Detail] = []
    while data.readableBytes > 0 {
      let (field, wireType) = try data.readProtobufKey()
      switch (field, wireType) {
      case (1, .varint): code = Int(truncatingIfNeeded: try data.readProtobufVarint())
      case (2, .lengthDelimited): message = String(buffer: try data.readProtobufLengthDelimited())
      case (3, .lengthDelimited):
        var any = try data.readProtobufLengthDelimited()
        var detail = RPCError.Detail(typeURL: "", value: [])
        while any.readableBytes > 0 {
          let (anyField, anyWireType) = try any.readProtobufKey()
          switch (anyField, anyWireType) {
          case (1, .lengthDelimited):
            detail.typeURL = String(buffer: try any.readProtobufLengthDelimited())
          case (2, .lengthDelimited):
            detail.value = Array(buffer: try any.readProtobufLengthDelimited())
          default: try any.skipProtobufField(anyWireType)
          }
        }
        details.append(detail)
      default: try data.skipProtobufField(wireType)
      }
    }
    return RPCStatus(
      code: RPCError.Code(rawValue: code) ?? .unknown,
      message: message,
      details: details
    )
  }
}
