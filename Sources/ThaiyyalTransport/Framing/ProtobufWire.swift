import NIOCore

/// Minimal Protobuf wire-format reading and writing on `ByteBuffer`, for the five-field ttrpc
/// envelope on the hot path. Inner messages use SwiftProtobuf.
enum ProtobufWire {
  enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
  }

  struct MalformedMessage: Error {}

  static func varintSize(_ value: UInt64) -> Int {
    var value = value
    var size = 1
    while value >= 0x80 {
      value >>= 7
      size += 1
    }
    return size
  }
}

extension ByteBuffer {
  mutating func writeProtobufVarint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    writeInteger(UInt8(value))
  }

  /// Reads a varint, or throws when it is cut short or longer than 10 bytes.
  mutating func readProtobufVarint() throws(ProtobufWire.MalformedMessage) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while shift < 64 {
      guard let byte = readInteger(as: UInt8.self) else { throw ProtobufWire.MalformedMessage() }
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
    throw ProtobufWire.MalformedMessage()
  }

  /// Reads a field key: (field number, wire type).
  mutating func readProtobufKey() throws(ProtobufWire.MalformedMessage) -> (
    UInt64, ProtobufWire.WireType
  ) {
    let key = try readProtobufVarint()
    guard let wireType = ProtobufWire.WireType(rawValue: UInt8(key & 7)), key >> 3 != 0 else {
      throw ProtobufWire.MalformedMessage()
    }
    return (key >> 3, wireType)
  }

  /// Reads the body of a length-delimited field as a slice.
  mutating func readProtobufLengthDelimited() throws(ProtobufWire.MalformedMessage) -> ByteBuffer {
    let length = try readProtobufVarint()
    guard length <= UInt64(readableBytes), let slice = readSlice(length: Int(length)) else {
      throw ProtobufWire.MalformedMessage()
    }
    return slice
  }

  /// Skips a field of an unknown number.
  mutating func skipProtobufField(
    _ wireType: ProtobufWire.WireType
  ) throws(ProtobufWire.MalformedMessage) {
    switch wireType {
    case .varint: _ = try readProtobufVarint()
    case .fixed64:
      guard readableBytes >= 8 else { throw ProtobufWire.MalformedMessage() }
      moveReaderIndex(forwardBy: 8)
    case .fixed32:
      guard readableBytes >= 4 else { throw ProtobufWire.MalformedMessage() }
      moveReaderIndex(forwardBy: 4)
    case .lengthDelimited: _ = try readProtobufLengthDelimited()
    }
  }

  /// Writes a length-delimited field from raw bytes.
  mutating func writeProtobufBytesField(_ field: UInt8, _ bytes: some Collection<UInt8>) {
    writeInteger(field << 3 | ProtobufWire.WireType.lengthDelimited.rawValue)
    writeProtobufVarint(UInt64(bytes.count))
    writeBytes(bytes)
  }

  /// Writes a length-delimited field holding a UTF-8 string.
  mutating func writeProtobufStringField(_ field: UInt8, _ string: String) {
    writeProtobufBytesField(field, string.utf8)
  }
}
