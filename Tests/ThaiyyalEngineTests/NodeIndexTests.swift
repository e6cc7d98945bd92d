import Testing

@testable import ThaiyyalEngine

/// The node index must answer as a `Dictionary` keeping each id's first position would, whether
/// it uses its own table or has given way to a `Dictionary` because ids collided.
@Suite("Node index")
struct NodeIndexTests {
  /// Ids with repeats, the empty id, long and non-ASCII ones.
  static func ids(_ count: Int, seed: UInt64) -> [String] {
    var random = RandomWorkflowTests.SplitMix(state: seed)
    return (0 ..< count).map { _ in
      switch random.next() % 6 {
      case 0: ""
      case 1: "n\(random.next() % 40)"
      case 2: "node-with-a-long-identifier-\(random.next() % 1000)-é"
      default: "n\(random.next() % 100_000)"
      }
    }
  }

  static func check(_ ids: [String], maxRun: Int) -> NodeIndex {
    var expected: [String: Int] = [:]
    var expectedRepeats: [Int] = []
    for (position, id) in ids.enumerated() {
      if expected[id] == nil { expected[id] = position } else { expectedRepeats.append(position) }
    }
    var repeats: [Int] = []
    let index = NodeIndex(ids, maxRun: maxRun) { repeats.append($0) }
    #expect(repeats == expectedRepeats)
    for (id, position) in expected { #expect(index[id] == position, "\(id)") }
    for absent in ["absent", "n-1", "node-with-a-long-identifier-", "N1"]
    where expected[absent] == nil {
      #expect(index[absent] == nil)
    }
    return index
  }

  @Test("positions and repeats are a dictionary's, with the table and without it")
  func agreesWithDictionary() {
    for seed in 0 ..< 20 as Range<UInt64> {
      let ids = Self.ids(Int(seed) * 97, seed: seed)
      #expect(!Self.check(ids, maxRun: NodeIndex.maxRun).usesFallback)
      // With runs this short allowed, the table gives way part of the way through inserting (the
      // repeats before are reported by the table, the rest by the fall back), or at the end; with
      // none allowed, always.
      _ = Self.check(ids, maxRun: 1)
      _ = Self.check(ids, maxRun: 2)
      if !ids.isEmpty { #expect(Self.check(ids, maxRun: 0).usesFallback) }
    }
    #expect(NodeIndex()["x"] == nil)
    #expect(NodeIndex([])["x"] == nil)
  }
}

/// The run order's first ready set is sorted by id as bytes; the packed-prefix sort must agree
/// with sorting the bytes themselves.
@Suite("Ordering by id")
struct OrderingByIDTests {
  @Test("ids sort as their bytes do: prefixes, the empty id, long and non-ASCII ids, ties")
  func byteOrder() {
    var random = RandomWorkflowTests.SplitMix(state: 11)
    let pieces = [
      "", "a", "ab", "b", "a\u{0}", "é", "z", "0", "node-", "node-10", "\u{1F600}", "~",
    ]
    for size in 0 ..< 60 {
      let ids = (0 ..< size).map { _ in
        (0 ..< Int(random.next() % 4)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))]
        }
        .joined()
      }
      let nodes = ids.map { Node(id: $0, type: "number", data: nil) }
      let sorted = ExecutionPlan.byID(Array(nodes.indices), nodes).map { nodes[$0].id }
      let expected = ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      #expect(sorted == expected, "\(ids)")
    }
  }
}
