import Synchronization

/// UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Ids sort by creation time,
/// which keeps primary-key inserts at the end of the index and makes ids usable as cursors.
///
/// Within one process, ids are strictly increasing even within a millisecond: the 12-bit
/// `rand_a` field counts up (RFC 9562 method 1), and the clock is not allowed to run backwards.
public enum UUIDv7 {
  private static let last = Mutex<(millis: UInt64, counter: UInt16)>((0, 0))

  /// A new id in the canonical lower-case 8-4-4-4-12 form.
  public static func generate(now: UInt64 = Clock.nowMilliseconds()) -> String {
    let (millis, counter) = last.withLock { state -> (UInt64, UInt16) in
      if now > state.millis {
        state = (now, UInt16.random(in: 0 ... 0x3FF))
      } else if state.counter < 0xFFF {
        state.counter += 1
      } else {
        state = (state.millis + 1, 0)
      }
      return state
    }
    var bytes = [UInt8](repeating: 0, count: 16)
    for i in 0 ..< 6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(i))) }
    bytes[6] = 0x70 | UInt8(counter >> 8)
    bytes[7] = UInt8(truncatingIfNeeded: counter)
    var random = SystemRandomNumberGenerator()
    let tail = random.next() as UInt64
    for i in 8 ..< 16 { bytes[i] = UInt8(truncatingIfNeeded: tail >> (8 * UInt64(i - 8))) }
    bytes[8] = 0x80 | (bytes[8] & 0x3F)
    let hex = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(36)
    for (i, byte) in bytes.enumerated() {
      if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
      text.append(hex[Int(byte >> 4)])
      text.append(hex[Int(byte & 0xF)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Whether `text` looks like a canonical lower-case UUID; used to tell ids from slugs.
  public static func isValid(_ text: String) -> Bool {
    let utf8 = Array(text.utf8)
    guard utf8.count == 36 else { return false }
    for (i, c) in utf8.enumerated() {
      if i == 8 || i == 13 || i == 18 || i == 23 {
        guard c == UInt8(ascii: "-") else { return false }
      } else {
        guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) else { return false }
      }
    }
    return true
  }
}
