package import NIOCore

/// The 10-byte header in front of every ttrpc frame.
///
/// ```
/// +----------------+----------------+------+-------+------------------------+
/// | length (u32 BE)| stream id (u32)| type | flags | data (length bytes)    |
/// +----------------+----------------+------+-------+------------------------+
///   0              4                8      9       10
/// ```
///
/// `length` counts only the data. Client streams have odd ids.
public struct FrameHeader: Hashable, Sendable {
  /// Size of the header on the wire.
  public static let size = 10
  /// The largest data length ttrpc allows by default (4 MiB); never send a larger frame.
  public static let defaultMaxMessageSize = 4 << 20

  public var length: UInt32
  public var streamID: UInt32
  public var type: FrameType
  public var flags: UInt8

  public init(length: UInt32, streamID: UInt32, type: FrameType, flags: UInt8 = 0) {
    self.length = length
    self.streamID = streamID
    self.type = type
    self.flags = flags
  }
}

/// The message type byte of a frame.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static let request = FrameType(rawValue: 0x01)
  public static let response = FrameType(rawValue: 0x02)
  /// Streaming data (ttrpc 1.2 and later).
  public static let data = FrameType(rawValue: 0x03)

  public var description: String {
    switch self {
    case .request: "request"
    case .response: "response"
    case .data: "data"
    default: "type(0x\(String(rawValue, radix: 16)))"
    }
  }
}

extension ByteBuffer {
  /// Writes a frame header.
  package mutating func writeFrameHeader(_ header: FrameHeader) {
    writeMultipleIntegers(header.length, header.streamID, header.type.rawValue, header.flags)
  }

  /// Reads the frame header at the reader index without moving it, or `nil` when fewer than 10
  /// bytes are readable.
  package func peekFrameHeader() -> FrameHeader? {
    guard
      let (length, streamID, type, flags) = getMultipleIntegers(
        at: readerIndex,
        as: (UInt32, UInt32, UInt8, UInt8).self
      )
    else { return nil }
    return FrameHeader(
      length: length,
      streamID: streamID,
      type: FrameType(rawValue: type),
      flags: flags
    )
  }
}
