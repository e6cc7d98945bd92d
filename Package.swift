// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// Settings every target shares: Swift 6 mode (strict concurrency) plus the upcoming features that keep
/// module boundaries honest. Applied in one loop at the bottom, as swift-log and grpc-swift do.
let sharedSwiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "thaiyyal-server",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "thaiyyal", targets: ["thaiyyal"]),
    .library(name: "ThaiyyalClient", targets: ["ThaiyyalClient"]),
    .library(name: "ThaiyyalServer", targets: ["ThaiyyalServer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
  ],
  targets: [
    // Transport-agnostic call layer: descriptors, metadata, context, interceptors, router, errors.
    .target(
      name: "ThaiyyalRPC",
      dependencies: [.product(name: "Logging", package: "swift-log")]
    ),
    // The ttrpc wire over SwiftNIO: framing, envelopes, server and client connections.
    .target(
      name: "ThaiyyalTransport",
      dependencies: [
        "ThaiyyalRPC",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // Domain values shared by everything below the services: ids, roles, plans, tenant scope, errors.
    .target(name: "ThaiyyalCore"),
    // The Thaiyyal workflow engine: model, validation, expressions, node executors. Pure: no I/O.
    .target(name: "ThaiyyalEngine", dependencies: ["ThaiyyalCore"]),
    // Threads of our own for work that must stay off the cooperative pool (CPU-heavy or blocking).
    .target(name: "ThaiyyalThreads"),
    // Persistence: the protocols the server reaches storage through, the repositories' SQL, and
    // the two backends (SQLite through GRDB, PostgreSQL through PostgresNIO) with their migrations.
    .target(
      name: "ThaiyyalStore",
      dependencies: [
        "ThaiyyalCore", "ThaiyyalThreads",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // Code generated from proto/ by scripts/gen-proto. Never edited by hand.
    .target(
      name: "ThaiyyalProto",
      dependencies: [
        "ThaiyyalRPC",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    // Configuration, interceptors, service handlers and the composition root.
    .target(
      name: "ThaiyyalServer",
      dependencies: [
        "ThaiyyalRPC",
        "ThaiyyalCore",
        "ThaiyyalStore",
        "ThaiyyalThreads",
        "ThaiyyalEngine",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        "ThaiyyalTransport",
        "ThaiyyalProto",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Yams", package: "Yams"),
      ]
    ),
    // Typed Swift client over the transport.
    .target(
      name: "ThaiyyalClient",
      dependencies: ["ThaiyyalRPC", "ThaiyyalTransport", "ThaiyyalProto"]
    ),
    // Test support shared by every test target: servers on temporary sockets, in-process clients.
    .target(
      name: "ThaiyyalTesting",
      dependencies: [
        "ThaiyyalRPC", "ThaiyyalServer", "ThaiyyalClient", "ThaiyyalTransport", "ThaiyyalProto",
        "ThaiyyalStore", "ThaiyyalCore",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    // `thaiyyal bench`: benchmarks that start the binary as their server and print figures.
    .target(
      name: "ThaiyyalBenchmarks",
      dependencies: [
        "ThaiyyalClient", "ThaiyyalTransport", "ThaiyyalProto", "ThaiyyalRPC", "ThaiyyalEngine",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    // The one binary: `serve` and the client commands. Only it bootstraps logging.
    .executableTarget(
      name: "thaiyyal",
      dependencies: [
        "ThaiyyalServer", "ThaiyyalClient", "ThaiyyalTransport", "ThaiyyalProto", "ThaiyyalRPC",
        "ThaiyyalEngine", "ThaiyyalCore", "ThaiyyalBenchmarks",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]
    ),
    .testTarget(
      name: "ThaiyyalRPCTests",
      dependencies: ["ThaiyyalRPC", .product(name: "Logging", package: "swift-log")]
    ),
    .testTarget(
      name: "ThaiyyalTransportTests",
      dependencies: [
        "ThaiyyalTransport", "ThaiyyalRPC", "ThaiyyalProto", "ThaiyyalTesting",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "InMemoryLogging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOTestUtils", package: "swift-nio"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "ThaiyyalProtoTests",
      dependencies: ["ThaiyyalProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    .testTarget(
      name: "ThaiyyalServerTests",
      dependencies: [
        "ThaiyyalServer", "ThaiyyalTesting", "ThaiyyalClient", "ThaiyyalProto", "ThaiyyalRPC",
        "ThaiyyalTransport", "ThaiyyalCore", "ThaiyyalStore",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "MetricsTestKit", package: "swift-metrics"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Yams", package: "Yams"),
      ]
    ),
    .testTarget(
      name: "ThaiyyalCoreTests",
      dependencies: ["ThaiyyalCore"]
    ),
    .testTarget(
      name: "ThaiyyalEngineTests",
      dependencies: ["ThaiyyalEngine"]
    ),
    .testTarget(
      name: "ThaiyyalStoreTests",
      dependencies: [
        "ThaiyyalStore", "ThaiyyalCore", "ThaiyyalTesting",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "ThaiyyalTesting", "ThaiyyalClient", "ThaiyyalProto", "ThaiyyalRPC", "ThaiyyalStore",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
  ]
)

// libFuzzer targets (scripts/fuzz): only with THAIYYAL_FUZZ set, since they have no `main` of
// their own (libFuzzer supplies it) and build with sanitizers in their own scratch path.
if ProcessInfo.processInfo.environment["THAIYYAL_FUZZ"] != nil {
  package.targets.append(
    .target(name: "FuzzSupport", dependencies: ["ThaiyyalEngine"], path: "Fuzz/FuzzSupport")
  )
  let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzFrames", ["ThaiyyalTransport", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzJSON", ["ThaiyyalEngine"]),
    ("FuzzWorkflow", ["ThaiyyalEngine", "FuzzSupport"]),
    ("FuzzExpression", ["ThaiyyalEngine", "FuzzSupport"]),
  ]
  for (name, dependencies) in fuzzTargets {
    package.targets.append(
      .executableTarget(name: name, dependencies: dependencies, path: "Fuzz/\(name)")
    )
  }
}

for target in package.targets {
  target.swiftSettings = (target.swiftSettings ?? []) + sharedSwiftSettings
}
