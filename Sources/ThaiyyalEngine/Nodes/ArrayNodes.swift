/// `range`: an inclusive arithmetic sequence; producing 10,000 items or more is an error.
struct RangeNode: NodeExecutor {
  static let maxItems = 10_000

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let start = invocation.data["start"]?.numberValue ?? 0
    let end = invocation.data["end"]?.numberValue ?? 10
    let step = invocation.data["step"]?.numberValue ?? 1
    guard step != 0 else { throw NodeFailure("range step cannot be 0") }
    if step > 0 && start > end {
      throw NodeFailure("range start must be <= end for a positive step")
    }
    if step < 0 && start < end {
      throw NodeFailure("range start must be >= end for a negative step")
    }
    var items: [JSONValue] = []
    var value = start
    while step > 0 ? value <= end : value >= end {
      items.append(.number(value))
      if items.count >= Self.maxItems {
        throw NodeFailure(
          "range would generate more than \(Self.maxItems) items, adjust start/end/step"
        )
      }
      value += step
    }
    return [
      "range": .array(items), "count": .number(Double(items.count)), "start": .number(start),
      "end": .number(end), "step": .number(step),
    ]
  }
}

/// `slice`: a part of an array; negative positions count from the end, all clamped.
struct SliceNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("slice node requires input") }
    guard case .array(let items) = input else { return .notAnArray(input) }
    let count = items.count
    func clamp(_ value: Int) -> Int { min(max(value, 0), count) }
    func integer(_ key: String) -> Int? {
      guard case .number(let value)? = invocation.data[key], value.isFinite else { return nil }
      return Int(max(min(value, Double(Int32.max)), Double(Int32.min)))
    }
    var start = integer("start") ?? 0
    if start < 0 { start += count }
    start = clamp(start)
    var end: Int
    if let given = integer("end") {
      end = given < 0 ? given + count : given
    } else if let length = integer("length") {
      end = start + length
    } else {
      end = count
    }
    end = clamp(end)
    if start > end { start = end }
    return [
      "sliced": .array(Array(items[start ..< end])), "input_count": .number(Double(count)),
      "output_count": .number(Double(end - start)), "start": .number(Double(start)),
      "end": .number(Double(end)),
    ]
  }
}

/// `reverse`: the array backwards.
struct ReverseNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("reverse node requires input") }
    guard case .array(let items) = input else { return .notAnArray(input) }
    return ["reversed": .array(items.reversed()), "count": .number(Double(items.count))]
  }
}

/// `compact`: drops nulls (and NaN), and with `remove_empty` also empty strings.
struct CompactNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("compact node requires input") }
    guard case .array(let items) = input else { return .notAnArray(input) }
    let removeEmpty = invocation.data["remove_empty"] == .bool(true)
    let kept = items.filter { item in
      switch item {
      case .null: false
      case .number(let value): !value.isNaN
      case .string(let text): !(removeEmpty && text.isEmpty)
      default: true
      }
    }
    return [
      "compacted": kept.isEmpty ? .null : .array(kept), "input_count": .number(Double(items.count)),
      "output_count": .number(Double(kept.count)),
      "removed": .number(Double(items.count - kept.count)),
    ]
  }
}
