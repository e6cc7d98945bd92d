import Foundation
import Testing
import Yams

/// The deployment material in deploy/ is checked, not just written: the systemd unit by
/// `systemd-analyze verify`, the Kubernetes example by its structure (a sidecar sharing its
/// socket through an emptyDir), the container file by what it must do.
@Suite("Deployment material")
struct DeploymentTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func text(_ path: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
  }

  static let analyzer = "/usr/bin/systemd-analyze"

  @Test("the systemd units verify, with the built binary in place of the installed one")
  func systemdUnit() throws {
    guard FileManager.default.isExecutableFile(atPath: Self.analyzer) else {
      // Under CI the tool must be there (scripts/ensure-system-packages installs systemd).
      #expect(ProcessInfo.processInfo.environment["CI"] == nil, "systemd-analyze is missing")
      return
    }
    let binary = Self.root.appendingPathComponent(".build/debug/thaiyyal").path
    let unit = try Self.text("deploy/systemd/thaiyyal.service")
    #expect(unit.contains("ExecStart=/usr/local/bin/thaiyyal serve"))
    #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"), "SIGHUP reopens the log")
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("thy-unit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("thaiyyal.service")
    try unit.replacingOccurrences(of: "/usr/local/bin/thaiyyal", with: binary)
      .write(to: file, atomically: true, encoding: .utf8)
    // The socket-activation unit, verified with the service it starts.
    let socket = directory.appendingPathComponent("thaiyyal.socket")
    let socketUnit = try Self.text("deploy/systemd/thaiyyal.socket")
    #expect(socketUnit.contains("ListenStream=/run/thaiyyal/thaiyyal.sock"))
    #expect(unit.contains("--socket /run/thaiyyal/thaiyyal.sock"))
    try socketUnit.write(to: socket, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.analyzer)
    process.arguments = ["verify", socket.path, file.path]
    process.currentDirectoryURL = directory
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = errors
    try process.run()
    let complaint = String(
      decoding: errors.fileHandleForReading.readDataToEndOfFile(),
      as: UTF8.self
    )
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(complaint)")
    #expect(complaint.isEmpty, "\(complaint)")
  }

  @Test("the Kubernetes example runs the server as a sidecar sharing its socket on an emptyDir")
  func kubernetesSidecar() throws {
    let document = try Yams.load(yaml: Self.text("deploy/kubernetes/sidecar.yaml"))
    let root = try #require(document as? [String: Any])
    #expect(root["kind"] as? String == "Deployment")
    let spec = try #require(
      ((root["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"]
        as? [String: Any]
    )
    let containers = try #require(spec["containers"] as? [[String: Any]])
    let volumes = try #require(spec["volumes"] as? [[String: Any]])
    let emptyDirs = Set(
      volumes.filter { $0["emptyDir"] != nil }.compactMap { $0["name"] as? String }
    )
    func mounts(_ container: [String: Any]) -> [String: String] {
      var mounts: [String: String] = [:]
      for mount in container["volumeMounts"] as? [[String: Any]] ?? [] {
        if let name = mount["name"] as? String, let path = mount["mountPath"] as? String {
          mounts[name] = path
        }
      }
      return mounts
    }
    let server = try #require(containers.first { $0["name"] as? String == "thaiyyal" })
    let app = try #require(containers.first { $0["name"] as? String != "thaiyyal" })
    let arguments = try #require(server["args"] as? [String])
    #expect(arguments.first == "serve")
    let socketIndex = try #require(arguments.firstIndex(of: "--socket"))
    let socket = arguments[socketIndex + 1]
    // One emptyDir mounted in both containers at the directory holding the socket.
    let shared = emptyDirs.filter { mounts(server)[$0] != nil && mounts(app)[$0] != nil }
    #expect(shared.count == 1)
    let directory = mounts(server)[shared.first ?? ""] ?? "?"
    #expect((socket as NSString).deletingLastPathComponent == directory)
    #expect(mounts(app)[shared.first ?? ""] == directory)
    // The application is told where the socket is, and both run as one user.
    let environment = app["env"] as? [[String: Any]] ?? []
    #expect(
      environment.contains {
        $0["name"] as? String == "THAIYYAL_SOCKET" && $0["value"] as? String == socket
      }
    )
    let security = try #require(spec["securityContext"] as? [String: Any])
    #expect(security["runAsUser"] != nil)
    // Probes ask the server itself, over the socket.
    let probe = (server["readinessProbe"] as? [String: Any])?["exec"] as? [String: Any]
    #expect((probe?["command"] as? [String])?.contains(socket) == true)
  }

  @Test("the container file builds a static-stdlib binary and runs unprivileged")
  func containerFile() throws {
    let file = try Self.text("deploy/container/Containerfile")
    #expect(file.contains("--static-swift-stdlib"))
    #expect(file.contains("USER 10001"))
    #expect(file.contains("/run/thaiyyal/thaiyyal.sock"))
  }
}
