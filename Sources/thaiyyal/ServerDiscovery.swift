import Foundation
import ThaiyyalServer

/// Where a client command looks for the server when no address is given (`--socket`, `--tcp`,
/// `THAIYYAL_SOCKET` or `THAIYYAL_ADDRESS`), in order: the socket of the configuration file named
/// by `THAIYYAL_CONFIG`, `./data/thaiyyal.sock`, and the per-user runtime socket that
/// `thaiyyal serve --user-socket` listens on. The first that exists is used; when none does, the
/// error lists them all.
enum ServerDiscovery {
  /// `$XDG_RUNTIME_DIR/thaiyyal/thaiyyal.sock`, else `/tmp/thaiyyal-UID/thaiyyal.sock`.
  static var userSocket: String {
    let environment = ProcessInfo.processInfo.environment
    if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
      return runtime + "/thaiyyal/thaiyyal.sock"
    }
    return "/tmp/thaiyyal-\(getuid())/thaiyyal.sock"
  }

  /// The candidate socket paths, most specific first.
  static func candidates(environment: [String: String]) -> [String] {
    var paths: [String] = []
    if let file = environment["THAIYYAL_CONFIG"], !file.isEmpty,
      let configuration = try? ServerConfiguration.load(file: file, environment: [:])
    {
      paths.append(configuration.effectiveSocketPath)
    }
    paths.append("./data/thaiyyal.sock")
    paths.append(userSocket)
    var seen: Set<String> = []
    return paths.filter { seen.insert($0).inserted }
  }

  /// The first candidate that exists, or nil.
  static func existing(environment: [String: String]) -> String? {
    candidates(environment: environment).first { FileManager.default.fileExists(atPath: $0) }
  }

  /// What to say when no server answered at a discovered or default address.
  static func hint(environment: [String: String]) -> String {
    "tried \(candidates(environment: environment).joined(separator: ", ")); start the server"
      + " with 'thaiyyal serve', or point at it with --socket PATH, THAIYYAL_SOCKET,"
      + " --tcp HOST:PORT or THAIYYAL_ADDRESS"
  }
}
