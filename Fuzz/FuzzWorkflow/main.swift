import FuzzSupport
import ThaiyyalEngine

/// Workflow decoder and engine: any text is refused with problems or runs to a result within
/// its limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkflow(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
  guard (try? WorkflowDecoder(limits: fuzzLimits()).decode(text)) != nil else { return 0 }
  runBlocking(text)
  return 0
}
