public import NIOCore

/// One unit the ``FrameDecoder`` produces.
public enum Frame: Hashable, Sendable {
  /// A whole frame; `data.readableBytes == header.length`.
  case message(FrameHeader, data: ByteBuffer)
  /// A frame whose declared length exceeded the maximum. Its data is skipped as it arrives,
  /// never buffered; the connection stays usable.
  case oversized(FrameHeader)
}

/// Splits a byte stream into ttrpc frames, checking the length limit before buffering anything.
///
/// A value type with a single-step contract, so it can be driven by
/// `NIOSingleStepByteToMessageProcessor` inside the connection handler and verified with NIO's
/// `ByteToMessageDecoderVerifier` byte by byte. Short input waits for more (the reader index is
/// left alone); a stream that ends inside a header or a body is an error, so the connection closes
/// instead of hanging.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
  public typealias InboundOut = Frame

  /// The largest frame data accepted.
  public let maxMessageSize: Int
  /// Bytes of an oversized frame still to skip.
  private var discarding = 0

  public init(maxMessageSize: Int = FrameHeader.defaultMaxMessageSize) {
    precondition(maxMessageSize > 0 && maxMessageSize <= Int(UInt32.max))
    self.maxMessageSize = maxMessageSize
  }

  public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
    if discarding > 0 {
      let skip = min(discarding, buffer.readableBytes)
      buffer.moveReaderIndex(forwardBy: skip)
      discarding -= skip
      if discarding > 0 { return nil }
    }
    guard let header = buffer.peekFrameHeader() else { return nil }
    let length = Int(header.length)
    if length > maxMessageSize {
      buffer.moveReaderIndex(forwardBy: FrameHeader.size)
      let skip = min(length, buffer.readableBytes)
      buffer.moveReaderIndex(forwardBy: skip)
      discarding = length - skip
      return .oversized(header)
    }
    guard buffer.readableBytes >= FrameHeader.size + length else { return nil }
    buffer.moveReaderIndex(forwardBy: FrameHeader.size)
    let data = buffer.readSlice(length: length)!
    return .message(header, data: data)
  }

  public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
    if let frame = try decode(buffer: &buffer) { return frame }
    if buffer.readableBytes > 0 || discarding > 0 {
      throw TransportError.truncatedFrame
    }
    return nil
  }
}

/// Failures of the wire itself, outside any call.
public enum TransportError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The peer closed the connection inside a frame.
  case truncatedFrame
  /// Another process already listens on the Unix socket path.
  case socketInUse(path: String)
  /// The socket path exists and is not a socket.
  case socketPathOccupied(path: String)
  /// The address could not be parsed.
  case invalidAddress(String)
  /// ``TTRPCServer/start(listeningOn:)`` was called twice.
  case alreadyStarted

  public var description: String {
    switch self {
    case .truncatedFrame: "the connection closed inside a frame"
    case .socketInUse(let path): "another server is listening on \(path)"
    case .socketPathOccupied(let path): "\(path) exists and is not a socket; refusing to replace it"
    case .alreadyStarted: "the server was already started"
    case .invalidAddress(let address):
      "invalid address '\(address)'; expected HOST:PORT or a socket path"
    }
  }
}
