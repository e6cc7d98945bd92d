import ArgumentParser
import Foundation
import ThaiyyalEngine

/// `thaiyyal bench engine [FILE...]`: runs each workflow file in a loop in this process after a
/// warm-up, a fresh engine per run, decoding (and validating) the definition every time as a
/// server run does, and prints one line per file:
///
///     name=<file stem> runs_per_s= mean_us= decode_us= nodes= executed= nodes_per_s=
///
/// `nodes_per_s` counts executed nodes. Without files it runs every `*.json` in
/// `Benchmarks/engine/` (see the README there).
struct EngineBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "Benchmark the workflow engine on workflow files (default: Benchmarks/engine/*.json)."
  )

  @Argument(help: "Workflow JSON files.")
  var files: [String] = []

  @Option(help: "Seconds measured per file.")
  var duration: Double = 3

  @Option(help: "Seconds of warm-up per file (not measured).")
  var warmup: Double = 1

  @Flag(help: "Run one node at a time (no concurrent branches), for comparison.")
  var sequential = false

  static let defaultDirectory = "Benchmarks/engine"

  func run() async throws {
    guard duration > 0, duration <= 600 else { throw ValidationError("0 < duration <= 600") }
    guard warmup >= 0, warmup <= 600 else { throw ValidationError("0 <= warmup <= 600") }
    let paths = try files.isEmpty ? Self.defaultFiles() : files
    #if DEBUG
    print("warning: this is a debug build; build with -c release for meaningful figures")
    #endif
    // The largest plan's node limit: the wide shape has 2,002 nodes.
    var limits = EngineLimits()
    limits.maxNodes = 10_000
    let concurrency: BranchConcurrency = sequential ? .off : .automatic
    for path in paths {
      let definition = try String(contentsOfFile: path, encoding: .utf8)
      let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      let check = await WorkflowEngine(limits: limits).run(definition: definition)
      guard check.succeeded else { throw BenchError("\(name) failed: \(check.errors)") }
      _ = try await measure(definition, limits, concurrency, for: warmup)
      let figures = try await measure(definition, limits, concurrency, for: duration)
      let fields = [
        "name=\(name)",
        String(format: "runs_per_s=%.0f", figures.runsPerSecond),
        String(format: "mean_us=%.1f", figures.meanMicroseconds),
        String(format: "decode_us=%.1f", figures.decodeMicroseconds),
        "nodes=\(figures.nodes)",
        "executed=\(figures.executed)",
        String(format: "nodes_per_s=%.0f", figures.runsPerSecond * Double(figures.executed)),
      ]
      print(fields.joined(separator: " "))
    }
  }

  /// What one file's runs measured.
  struct Figures {
    var runs = 0
    var seconds = 0.0
    var decodeSeconds = 0.0
    var nodes = 0
    var executed = 0

    var runsPerSecond: Double { Double(runs) / max(seconds, 1e-9) }
    var meanMicroseconds: Double { seconds / Double(max(runs, 1)) * 1e6 }
    var decodeMicroseconds: Double { decodeSeconds / Double(max(runs, 1)) * 1e6 }
  }

  /// Runs the definition, decoding it each time with a fresh engine, for `seconds`.
  private func measure(
    _ definition: String,
    _ limits: EngineLimits,
    _ concurrency: BranchConcurrency,
    for seconds: Double
  ) async throws -> Figures {
    var figures = Figures()
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(Int64(seconds * 1000))
    var decoding = Duration.zero
    let start = clock.now
    repeat {
      let before = clock.now
      let workflow = try WorkflowDecoder(limits: limits).decode(definition)
      decoding += clock.now - before
      let engine = WorkflowEngine(limits: limits, branchConcurrency: concurrency)
      let result = await engine.run(workflow)
      figures.runs += 1
      figures.nodes = workflow.nodes.count
      figures.executed = result.nodeRuns.count { $0.status != .skipped }
    } while clock.now < end
    figures.seconds = Self.seconds(clock.now - start)
    figures.decodeSeconds = Self.seconds(decoding)
    return figures
  }

  static func seconds(_ duration: Duration) -> Double {
    let (whole, atto) = duration.components
    return Double(whole) + Double(atto) / 1e18
  }

  /// `Benchmarks/engine/*.json` under the current directory, by name.
  static func defaultFiles() throws -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: defaultDirectory)) ?? []
    let files = names.filter { $0.hasSuffix(".json") }.sorted().map { defaultDirectory + "/" + $0 }
    guard !files.isEmpty else {
      throw ValidationError("no workflow files given, and none in \(defaultDirectory)/")
    }
    return files
  }
}
