import ThaiyyalEngine

/// JSON parser and writer: any bytes parse to a value or a clear error; a value written out
/// parses back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
  guard let value = try? JSONParser(maxDepth: 512, maxValues: 100_000).parse(bytes) else {
    return 0
  }
  let text = JSONWriter().string(value)
  guard let again = try? JSONParser(maxDepth: 512).parse(text) else {
    fatalError("written JSON does not parse back: \(text.prefix(200))")
  }
  precondition(JSONWriter().string(again) == text, "JSON does not round-trip")
  return 0
}
