import Foundation
import NIOCore
import SwiftProtobuf
import Testing
import ThaiyyalProto
import ThaiyyalRPC

@testable import ThaiyyalTransport

/// The hand-written envelope codec must agree with the generated messages of `proto/ttrpc`.
@Suite("Envelope codec")
struct EnvelopeTests {
  @Test("decodes a request encoded by SwiftProtobuf, lower-casing metadata keys")
  func decodeRequest() throws {
    var request = Ttrpc_Request()
    request.service = "thaiyyal.v1.Health"
    request.method = "Check"
    request.payload = Data([1, 2, 3])
    request.timeoutNano = 1_500_000_000
    request.metadata = [("X-Request-ID", "abc"), ("x-tenant", "acme"), ("x-tenant", "again")].map {
      var kv = Ttrpc_KeyValue()
      kv.key = $0.0
      kv.value = $0.1
      return kv
    }
    let bytes: [UInt8] = try request.serializedBytes()
    let envelope = try RequestEnvelope(decoding: ByteBuffer(bytes: bytes))
    #expect(String(buffer: envelope.service) == "thaiyyal.v1.Health")
    #expect(String(buffer: envelope.method) == "Check")
    #expect(Array(buffer: envelope.payload) == [1, 2, 3])
    #expect(envelope.timeoutNanos == 1_500_000_000)
    #expect(envelope.metadata["x-request-id"] == "abc")
    #expect(envelope.metadata.values(for: "X-Tenant") == ["acme", "again"])
  }

  @Test("encodes a request SwiftProtobuf decodes")
  func encodeRequest() throws {
    var buffer = ByteBuffer()
    RequestEnvelope.encode(
      service: "s",
      method: "m",
      payload: [9, 8],
      timeoutNanos: 42,
      metadata: ["authorization": "Bearer x"],
      into: &buffer
    )
    let request = try Ttrpc_Request(serializedBytes: Array(buffer: buffer))
    #expect(request.service == "s")
    #expect(request.method == "m")
    #expect(request.payload == Data([9, 8]))
    #expect(request.timeoutNano == 42)
    #expect(request.metadata.map(\.key) == ["authorization"])
  }

  @Test(
    "skips unknown fields and rejects malformed data",
    arguments: [
      ([0x0A, 0x05, 0x61], false),  // length runs past the end
      ([0x07], false),  // wire type 7 does not exist
      ([0x0A, 0x01, 0x61, 0x30, 0x05], true),  // unknown varint field 6 is skipped
      // An overlong varint.
      ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], false),
    ] as [([UInt8], Bool)]
  )
  func malformed(bytes: [UInt8], valid: Bool) throws {
    if valid {
      #expect(throws: Never.self) { try RequestEnvelope(decoding: ByteBuffer(bytes: bytes)) }
    } else {
      #expect { try RequestEnvelope(decoding: ByteBuffer(bytes: bytes)) } throws: { error in
        (error as? RPCError)?.code == .invalidArgument
      }
    }
  }

  @Test("a success response has the payload and no status")
  func success() throws {
    var buffer = ByteBuffer()
    ResponseEnvelope.writeSuccess(
      streamID: 5,
      payload: [1, 2, 3],
      maxMessageSize: 1024,
      into: &buffer
    )
    let header = buffer.peekFrameHeader()!
    #expect(header == FrameHeader(length: 5, streamID: 5, type: .response))
    buffer.moveReaderIndex(forwardBy: FrameHeader.size)
    let response = try Ttrpc_Response(serializedBytes: Array(buffer: buffer))
    #expect(!response.hasStatus)
    #expect(response.payload == Data([1, 2, 3]))
  }

  @Test("a failure response carries code, message and details that round-trip")
  func failure() throws {
    let status = RPCStatus(
      code: .resourceExhausted,
      message: "quota",
      details: [.errorInfo(reason: "QUOTA_EXCEEDED", metadata: ["limit": "10"])]
    )
    var buffer = ByteBuffer()
    ResponseEnvelope.writeFailure(streamID: 7, status: status, into: &buffer)
    let header = buffer.peekFrameHeader()!
    #expect(Int(header.length) == buffer.readableBytes - FrameHeader.size)
    buffer.moveReaderIndex(forwardBy: FrameHeader.size)
    let response = try Ttrpc_Response(serializedBytes: Array(buffer: buffer))
    #expect(response.status.code == 8)
    #expect(response.status.message == "quota")
    let info = try Google_Rpc_ErrorInfo(unpackingAny: response.status.details[0])
    #expect(info.reason == "QUOTA_EXCEEDED")
    #expect(info.metadata == ["limit": "10"])
    guard case .failure(let decoded) = try ResponseEnvelope.decode(buffer) else {
      Issue.record("expected failure")
      return
    }
    #expect(decoded == status)
  }

  @Test("a response larger than the maximum becomes RESOURCE_EXHAUSTED")
  func oversizedResponse() throws {
    var buffer = ByteBuffer()
    ResponseEnvelope.writeSuccess(
      streamID: 1,
      payload: [UInt8](repeating: 0, count: 2000),
      maxMessageSize: 1024,
      into: &buffer
    )
    buffer.moveReaderIndex(forwardBy: FrameHeader.size)
    guard case .failure(let status) = try ResponseEnvelope.decode(buffer) else {
      Issue.record("expected failure")
      return
    }
    #expect(status.code == .resourceExhausted)
    #expect(status.message.contains("exceeds maximum message size of 1024"))
  }
}
