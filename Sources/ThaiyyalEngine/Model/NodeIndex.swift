/// Node positions by id, for resolving edges. Decoding a wide graph looks an id up twice per edge,
/// and a `Dictionary`'s SipHash cost most of that; this table hashes with a cheap function
/// seeded once per process, open addressing. Ids chosen to collide cannot make it slow: when
/// any probe run grows past ``maxRun`` slots, the index falls back to a `Dictionary`.
struct NodeIndex: Sendable {
  /// The longest run of occupied slots a lookup may walk before the table gives way.
  static let maxRun = 32

  private static let seed = UInt64.random(in: .min ... .max)

  /// The indexed ids, by position.
  private var ids: [String] = []
  /// Per slot: 0 when empty, else the id's hash in the high 32 bits and its position + 1 in the
  /// low 32.
  private var slots: [UInt64] = []
  private var mask = 0
  /// Used instead of the table when ids collided.
  private var fallback: [String: Int]?

  init() {}

  /// Indexes `ids` by position; an id that repeats keeps its first position, and `repeated`
  /// hears of each later one. Tests lower `maxRun` to make the table give way.
  init(_ ids: [String], maxRun: Int = Self.maxRun, repeated: (Int) -> Void = { _ in }) {
    self.ids = ids
    var capacity = 8
    while capacity < ids.count * 2 { capacity <<= 1 }
    slots = [UInt64](repeating: 0, count: capacity)
    mask = capacity - 1
    for (position, id) in ids.enumerated() {
      let hash = Self.hash(id)
      var slot = Int(truncatingIfNeeded: hash) & mask
      var walked = 0
      while true {
        let entry = slots[slot]
        if entry == 0 {
          slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(position + 1)
          break
        }
        if entry >> 32 == hash >> 32, ids[Int(entry & 0xFFFF_FFFF) - 1] == id {
          repeated(position)
          break
        }
        walked += 1
        guard walked <= maxRun else {
          self.useFallback(repeated: repeated, from: position)
          return
        }
        slot = (slot + 1) & mask
      }
    }
    if longestRun(upTo: maxRun + 1) > maxRun { useFallback(repeated: { _ in }, from: ids.count) }
  }

  subscript(id: String) -> Int? {
    if let fallback { return fallback[id] }
    guard !slots.isEmpty else { return nil }
    let hash = Self.hash(id)
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { return nil }
      let position = Int(entry & 0xFFFF_FFFF) - 1
      if entry >> 32 == hash >> 32, ids[position] == id { return position }
      slot = (slot + 1) & mask
    }
  }

  /// Whether the index holds `id`'s position in a `Dictionary` (tests check the fall back).
  var usesFallback: Bool { fallback != nil }

  /// Gives up the table for a `Dictionary` of every id (first position kept). Repeats before
  /// `position` were reported already; those from it on are reported now.
  private mutating func useFallback(repeated: (Int) -> Void, from position: Int) {
    var dictionary = [String: Int](minimumCapacity: ids.count)
    for (index, id) in ids.enumerated() {
      if dictionary[id] == nil {
        dictionary[id] = index
      } else if index >= position {
        repeated(index)
      }
    }
    fallback = dictionary
    slots = []
  }

  /// The most occupied slots in a row (wrapping around), counted up to `limit`.
  private func longestRun(upTo limit: Int) -> Int {
    var longest = 0
    var run = 0
    for entry in slots + slots.prefix(limit) {
      run = entry == 0 ? 0 : run + 1
      longest = max(longest, run)
    }
    return longest
  }

  /// A 64-bit hash of the id's UTF-8 bytes, eight at a time, mixed with the process's seed.
  static func hash(_ id: String) -> UInt64 {
    var id = id
    return id.withUTF8 { bytes -> UInt64 in
      var hash = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
      guard let base = bytes.baseAddress else { return mix(hash) }
      let raw = UnsafeRawPointer(base)
      var offset = 0
      while offset + 8 <= bytes.count {
        hash = mix(hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
      }
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while offset < bytes.count {
        tail |= UInt64(bytes[offset]) << shift
        shift += 8
        offset += 1
      }
      return mix(hash ^ tail)
    }
  }

  /// SplitMix64's finaliser: every input bit reaches every output bit.
  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
