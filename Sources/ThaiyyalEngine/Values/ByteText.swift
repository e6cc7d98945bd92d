/// Text searching on UTF-8 bytes, as Go's `strings` package does it: linear in the text whatever
/// the pattern (Knuth–Morris–Pratt), so a hostile pattern cannot make a search quadratic. Matches
/// of a valid UTF-8 pattern always start and end on scalar boundaries.
enum ByteText {
  /// Whether `needle` occurs in `haystack` (an empty needle always does).
  static func contains(_ haystack: String, _ needle: String) -> Bool {
    if needle.isEmpty { return true }
    var found = false
    forEachMatch(of: needle, in: haystack) { _ in
      found = true
      return false
    }
    return found
  }

  /// How many non-overlapping times `needle` (not empty) occurs, counted left to right.
  static func count(of needle: String, in haystack: String) -> Int {
    var count = 0
    forEachMatch(of: needle, in: haystack) { _ in
      count += 1
      return true
    }
    return count
  }

  /// The text with every non-overlapping `target` (not empty) replaced, left to right.
  static func replacing(_ target: String, with replacement: String, in text: String) -> String {
    var out: [UInt8] = []
    forEachPiece(of: text, separatedBy: target) { piece, isFirst in
      if !isFirst { out.append(contentsOf: replacement.utf8) }
      out.append(contentsOf: piece)
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The pieces between non-overlapping `separator`s (not empty), empty pieces kept.
  static func split(_ text: String, by separator: String) -> [String] {
    var pieces: [String] = []
    forEachPiece(of: text, separatedBy: separator) { piece, _ in
      pieces.append(String(decoding: piece, as: UTF8.self))
    }
    return pieces
  }

  /// Calls `body` with the bytes of each piece of `text` between non-overlapping `separator`s
  /// (not empty), left to right, empty pieces included, and whether it is the first.
  private static func forEachPiece(
    of text: String,
    separatedBy separator: String,
    _ body: (Slice<UnsafeBufferPointer<UInt8>>, _ isFirst: Bool) -> Void
  ) {
    var start = 0
    var isFirst = true
    var source = text
    source.withUTF8 { bytes in
      forEachMatch(of: separator, in: text) { offset in
        body(bytes[start ..< offset], isFirst)
        isFirst = false
        start = offset + separator.utf8.count
        return true
      }
      body(bytes[start...], isFirst)
    }
  }

  /// Calls `body` with the byte offset of each non-overlapping match of `needle` (not empty),
  /// left to right, while it returns true.
  static func forEachMatch(
    of needle: String,
    in haystack: String,
    _ body: (Int) -> Bool
  ) {
    var haystack = haystack
    var needle = needle
    haystack.withUTF8 { text in
      needle.withUTF8 { pattern in
        guard !pattern.isEmpty, pattern.count <= text.count else { return }
        // failure[i]: the length of the longest proper prefix of pattern[0...i] that is also
        // its suffix.
        var failure = [Int](repeating: 0, count: pattern.count)
        var length = 0
        for i in 1 ..< pattern.count {
          while length > 0 && pattern[i] != pattern[length] { length = failure[length - 1] }
          if pattern[i] == pattern[length] { length += 1 }
          failure[i] = length
        }
        var matched = 0
        for (i, byte) in text.enumerated() {
          while matched > 0 && byte != pattern[matched] { matched = failure[matched - 1] }
          if byte == pattern[matched] { matched += 1 }
          if matched == pattern.count {
            guard body(i + 1 - pattern.count) else { return }
            matched = 0
          }
        }
      }
    }
  }
}

extension String {
  /// The text without leading and trailing white space (Unicode `White_Space`, as Go's
  /// `strings.TrimSpace`). Linear: it walks scalars from each end.
  func trimmingWhitespace() -> Substring {
    let scalars = unicodeScalars
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end, scalars[start].properties.isWhitespace {
      start = scalars.index(after: start)
    }
    while start < end {
      let before = scalars.index(before: end)
      guard scalars[before].properties.isWhitespace else { break }
      end = before
    }
    return Substring(scalars[start ..< end])
  }
}
