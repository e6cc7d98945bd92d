import NIOCore
import ThaiyyalTransport

/// Frame decoder and request envelope: any bytes, fed in pieces as a socket delivers them, must
/// give frames or clear errors, never a crash, a hang or unbounded buffering.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: start, count: count)
  // The first byte chooses how the rest is cut into reads.
  let step = max(1, Int(bytes.first ?? 1))
  var decoder = FrameDecoder(maxMessageSize: 1 << 16)
  var buffer = ByteBuffer()
  var offset = min(1, count)
  while offset < count {
    let end = min(count, offset + step)
    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset ..< end]))
    offset = end
    while let frame = try? decoder.decode(buffer: &buffer) {
      if case .message(_, let data) = frame { _ = try? RequestEnvelope(decoding: data) }
    }
    buffer.discardReadBytes()
    precondition(buffer.readableBytes <= (1 << 16) + 10, "buffered more than one frame")
  }
  _ = try? decoder.decodeLast(buffer: &buffer, seenEOF: true)
  return 0
}
