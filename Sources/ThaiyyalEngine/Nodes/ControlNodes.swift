/// `for_each`: does not run a sub-graph (as the original); counts an array's items within the
/// iteration limit.
struct ForEachNode: NodeExecutor {
  static let defaultMaxIterations = 1000

  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else { throw NodeFailure("for_each node requires input") }
    guard case .array(let items) = input else {
      throw NodeFailure("for_each node requires array input, got \(input.goTypeName)")
    }
    var limit = Self.defaultMaxIterations
    if case .number(let given)? = invocation.data["max_iterations"], given > 0 {
      limit = Int(min(given, 1e9))
    }
    guard items.count <= limit else {
      throw NodeFailure("for_each exceeds max iterations: \(items.count) > \(limit)")
    }
    let count = JSONValue.number(Double(items.count))
    return ["input_count": count, "iterations": count, "successful": count, "failed": 0]
  }
}

/// An input "is an error" when it is an object with an `error` key; its text is that value's.
func errorMessage(of value: JSONValue?) -> String? {
  guard case .object(let fields)? = value, let error = fields["error"] else { return nil }
  return error.text
}

/// `try_catch`: replaces an error-marker input with `fallback_value` and lets the run go on; only
/// `continue_on_error: false` makes a caught error fail the node, as in the original.
struct TryCatchNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      throw NodeFailure("try-catch node requires at least one input")
    }
    guard let message = errorMessage(of: input) else {
      return ["value": input, "error_caught": false]
    }
    var output: [String: JSONValue] = [
      "value": invocation.data["fallback_value"] ?? .null, "error_caught": true,
      "error_message": .string(message),
    ]
    if case .string(let path)? = invocation.data["error_output_path"], !path.isEmpty {
      output["error_output_path"] = .string(path)
    }
    if invocation.data["continue_on_error"] == .bool(false) {
      throw NodeFailure("error caught: \(message)")
    }
    return .object(output)
  }
}

/// `retry`: the input never changes between attempts, so an error input fails after the attempts
/// (without the original's real sleeping); `retry_on_errors` limits which errors are retried.
struct RetryNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    guard let input = invocation.input else {
      throw NodeFailure("retry node requires at least one input")
    }
    guard errorMessage(of: input) != nil else {
      return ["value": input, "attempts": 1, "success": true]
    }
    // The original retries on the error's text only when it is a string.
    let message = input["error"]?.stringValue ?? ""
    if case .array(let patterns)? = invocation.data["retry_on_errors"], !patterns.isEmpty {
      let retryable = patterns.contains { pattern in
        if case .string(let text) = pattern { return message.contains(text) }
        return false
      }
      guard retryable else { throw NodeFailure("error not in retry list: \(message)") }
    }
    var attempts = 3
    if case .number(let given)? = invocation.data["max_attempts"] {
      attempts = max(1, Int(min(given, 1e6)))
    }
    throw NodeFailure("max retry attempts (\(attempts)) reached: \(message)")
  }
}

/// `timeout`: compares an input's `execution_time` with the `timeout`; times nothing itself.
struct TimeoutNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let given = invocation.data["timeout"]?.stringValue ?? ""
    guard let limit = GoDuration.parseOrMilliseconds(given) else {
      throw NodeFailure("invalid timeout duration: \(given)")
    }
    guard let input = invocation.input else {
      throw NodeFailure("timeout node requires at least one input")
    }
    var elapsed: Int64 = 0
    if case .string(let text)? = input["execution_time"], let parsed = GoDuration.parse(text) {
      elapsed = parsed
    }
    let timedOut = elapsed > limit
    var output: [String: JSONValue] = [
      "value": input, "timeout_duration": .string(GoDuration.format(nanoseconds: limit)),
      "execution_time": .string(GoDuration.format(nanoseconds: elapsed)),
      "timed_out": .bool(timedOut),
    ]
    guard timedOut else { return .object(output) }
    output["timeout_exceeded"] = true
    // Only "error" (the default) fails; any other action, even "", continues with the partial.
    if (invocation.data["timeout_action"]?.stringValue ?? "error") == "error" {
      let took = GoDuration.format(nanoseconds: elapsed)
      throw NodeFailure(
        "operation timed out after \(took) (limit: \(GoDuration.format(nanoseconds: limit)))"
      )
    }
    output["partial_result"] = true
    return .object(output)
  }
}

/// `delay`: waits, then passes its input on. Real waiting is capped by the run's limits.
struct DelayNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let given = invocation.data["duration"] ?? .null
    let text = given.stringValue ?? given.numberValue.map { String(Int64($0)) } ?? ""
    guard let nanoseconds = GoDuration.parseOrMilliseconds(text) else {
      // The original wraps its parser's own message.
      throw NodeFailure(
        "invalid duration format: invalid duration format: \(text) (use formats like '5s', '10m', '1h')"
      )
    }
    // A negative duration waits not at all, as Go's time.Sleep.
    let wait = min(Duration.nanoseconds(max(0, nanoseconds)), invocation.state.limits.maxDelay)
    do {
      try await Task.sleep(for: wait)
    } catch {
      throw NodeFailure("execution cancelled")
    }
    return ["value": invocation.input ?? .null, "duration": given, "delayed": true]
  }
}

/// `cache`: a store for one run. `set` keeps the input for `ttl` (default 5 minutes), `get` reads
/// it, and `delete` (as in the original) reports success without deleting.
struct CacheNode: NodeExecutor {
  func execute(_ invocation: NodeInvocation) async throws(NodeFailure) -> JSONValue {
    let operation = invocation.data["cache_op"]?.stringValue ?? ""
    let key = invocation.data["cache_key"]?.stringValue ?? ""
    let state = invocation.state
    switch operation {
    case "set":
      guard let value = invocation.input else {
        throw NodeFailure("cache set operation requires input")
      }
      let ttlText = invocation.data["ttl"]?.stringValue
      var ttl: Int64 = 300_000_000_000
      if let ttlText {
        guard let parsed = GoDuration.parse(ttlText) else {
          throw NodeFailure("invalid TTL duration: \(ttlText)")
        }
        ttl = parsed
      }
      state.cache[key] = (value, .now + .nanoseconds(ttl))
      return [
        "operation": "set", "key": .string(key), "value": value,
        "ttl": ttlText.map(JSONValue.string) ?? .null,
      ]
    case "get":
      if let entry = state.cache[key], entry.expires > .now {
        return ["operation": "get", "key": .string(key), "found": true, "value": entry.value]
      }
      return ["operation": "get", "key": .string(key), "found": false, "value": .null]
    case "delete":
      return ["operation": "delete", "key": .string(key), "deleted": true]
    default:
      throw NodeFailure("unsupported cache operation: \(operation)")
    }
  }
}
