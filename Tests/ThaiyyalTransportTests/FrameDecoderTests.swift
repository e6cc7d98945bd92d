import NIOCore
import NIOTestUtils
import Testing
import ThaiyyalTransport

@Suite("Frame decoder")
struct FrameDecoderTests {
  private func frame(_ streamID: UInt32, _ data: [UInt8], type: FrameType = .request) -> ByteBuffer
  {
    var buffer = ByteBuffer()
    buffer.writeFrameHeader(FrameHeader(length: UInt32(data.count), streamID: streamID, type: type))
    buffer.writeBytes(data)
    return buffer
  }

  private func message(_ streamID: UInt32, _ data: [UInt8], type: FrameType = .request) -> Frame {
    .message(
      FrameHeader(length: UInt32(data.count), streamID: streamID, type: type),
      data: ByteBuffer(bytes: data)
    )
  }

  @Test("decodes frames fed byte by byte and in every split")
  func verifier() throws {
    let empty = frame(1, [])
    let small = frame(3, [1, 2, 3])
    var two = frame(5, Array("hello".utf8))
    var second = frame(7, [9], type: .response)
    two.writeBuffer(&second)
    try ByteToMessageDecoderVerifier.verifyDecoder(
      inputOutputPairs: [
        (empty, [message(1, [])]),
        (small, [message(3, [1, 2, 3])]),
        (two, [message(5, Array("hello".utf8)), message(7, [9], type: .response)]),
      ],
      decoderFactory: { FrameDecoder() }
    )
  }

  @Test("rejects a frame over the maximum and skips its bytes, then decodes the next frame")
  func oversized() throws {
    var decoder = FrameDecoder(maxMessageSize: 16)
    var buffer = ByteBuffer()
    buffer.writeFrameHeader(FrameHeader(length: 100, streamID: 9, type: .request))
    buffer.writeBytes([UInt8](repeating: 0xEE, count: 40))
    let first = try decoder.decode(buffer: &buffer)
    #expect(first == .oversized(FrameHeader(length: 100, streamID: 9, type: .request)))
    #expect(buffer.readableBytes == 0, "skipped bytes are consumed, not buffered")
    // The rest of the oversized body arrives in pieces, followed by a good frame.
    var rest = ByteBuffer(bytes: [UInt8](repeating: 0xEE, count: 30))
    #expect(try decoder.decode(buffer: &rest) == nil)
    #expect(rest.readableBytes == 0)
    var tail = ByteBuffer(bytes: [UInt8](repeating: 0xEE, count: 30))
    tail.writeBuffer(&buffer)
    var next = frame(11, [7, 7])
    tail.writeBuffer(&next)
    #expect(try decoder.decode(buffer: &tail) == message(11, [7, 7]))
  }

  @Test("a frame of exactly the maximum is accepted")
  func exactlyMaximum() throws {
    var decoder = FrameDecoder(maxMessageSize: 8)
    var buffer = frame(1, [UInt8](repeating: 1, count: 8))
    #expect(try decoder.decode(buffer: &buffer) == message(1, [UInt8](repeating: 1, count: 8)))
  }

  @Test("a header cut short at EOF is an error", arguments: [3, 9])
  func truncatedHeader(bytes: Int) throws {
    var decoder = FrameDecoder()
    var buffer = frame(1, [1, 2, 3])
    buffer.moveWriterIndex(to: bytes)
    #expect(try decoder.decode(buffer: &buffer) == nil)
    #expect(throws: TransportError.truncatedFrame) {
      try decoder.decodeLast(buffer: &buffer, seenEOF: true)
    }
  }

  @Test("a body cut short at EOF is an error")
  func truncatedBody() throws {
    var decoder = FrameDecoder()
    var buffer = frame(1, [1, 2, 3, 4])
    buffer.moveWriterIndex(to: FrameHeader.size + 2)
    #expect(try decoder.decode(buffer: &buffer) == nil)
    #expect(throws: TransportError.truncatedFrame) {
      try decoder.decodeLast(buffer: &buffer, seenEOF: true)
    }
  }

  @Test("EOF between frames is clean")
  func cleanEOF() throws {
    var decoder = FrameDecoder()
    var buffer = ByteBuffer()
    #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
  }
}
