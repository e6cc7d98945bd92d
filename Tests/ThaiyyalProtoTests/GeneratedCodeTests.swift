import Foundation
import SwiftProtobuf
import Testing
import ThaiyyalProto
import ThaiyyalRPC

/// The committed generated code must match `proto/`: run `scripts/gen-proto` after editing a
/// `.proto` file.
@Suite("Generated code")
struct GeneratedCodeTests {
  static let protoDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("proto")

  static func protoFiles() throws -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: protoDirectory.path)!
    return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".proto") }.sorted()
  }

  @Test("every .proto file is generated from its current text")
  func fresh() throws {
    let files = try Self.protoFiles()
    #expect(!files.isEmpty)
    #expect(
      Set(files) == Set(ProtoDigests.sha256.keys),
      "a .proto was added or removed; run scripts/gen-proto"
    )
    for file in files {
      let data = try Data(contentsOf: Self.protoDirectory.appendingPathComponent(file))
      #expect(
        SHA256.hex(Array(data)) == ProtoDigests.sha256[file],
        "\(file) changed; run scripts/gen-proto"
      )
    }
  }

  @Test("SHA-256 matches known vectors")
  func sha256Vectors() {
    #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256.hex(Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
    #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test("service descriptors list every method of the proto services")
  func descriptors() {
    #expect(Thaiyyal_V1_Health.descriptor.methods == [Thaiyyal_V1_Health.Method.check])
    #expect(Thaiyyal_V1_TenantService.descriptor.methods.count == 9)
    #expect(Thaiyyal_V1_UserService.descriptor.methods.map(\.method).contains("Login"))
    #expect(Thaiyyal_V1_WorkflowService.descriptor.methods.count == 11)
    #expect(Thaiyyal_V1_ExecutionService.descriptor.name == "thaiyyal.v1.ExecutionService")
    #expect(
      Thaiyyal_V1_AuditService.Method.listAuditLogs.fullName
        == "thaiyyal.v1.AuditService/ListAuditLogs"
    )
  }

  @Test("error details pack and unpack")
  func details() throws {
    let error = RPCError(
      .resourceExhausted,
      "slow down",
      details: [
        .errorInfo(reason: "RATE_LIMITED", metadata: ["limit": "5"]),
        .retryInfo(after: .milliseconds(1500)),
        .badRequest([(field: "slug", description: "too short")]),
      ]
    )
    #expect(error.errorInfo?.reason == "RATE_LIMITED")
    #expect(error.errorInfo?.domain == "thaiyyal.dev")
    #expect(error.retryInfo?.retryDelay.seconds == 1)
    #expect(error.retryInfo?.retryDelay.nanos == 500_000_000)
    #expect(error.badRequest?.fieldViolations.first?.field == "slug")
  }
}

/// SHA-256 (FIPS 180-4), small and dependency-free, for the freshness check.
enum SHA256 {
  private static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585,
    0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7,
    0xc671_78f2,
  ]

  static func hex(_ message: [UInt8]) -> String {
    var h: [UInt32] = [
      0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab,
      0x5be0_cd19,
    ]
    var data = message
    data.append(0x80)
    while data.count % 64 != 56 { data.append(0) }
    let bits = UInt64(message.count) * 8
    for shift in stride(from: 56, through: 0, by: -8) {
      data.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
    }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for chunk in stride(from: 0, to: data.count, by: 64) {
      for i in 0 ..< 16 {
        w[i] = data[chunk + 4 * i ..< chunk + 4 * i + 4].reduce(0) { $0 << 8 | UInt32($1) }
      }
      for i in 16 ..< 64 {
        let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
      }
      var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
      for i in 0 ..< 64 {
        let t1 =
          hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
        let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
        (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
      }
      for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
    return h.map { String(format: "%08x", $0) }.joined()
  }
}
