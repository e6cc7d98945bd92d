import Foundation
import Logging
import Testing
import ThaiyyalCore
import ThaiyyalServer
import ThaiyyalStore
import ThaiyyalTransport

@Suite("Server configuration")
struct ServerConfigurationTests {
  @Test("defaults need no flags: ./data, socket inside it, no TCP")
  func defaults() throws {
    let configuration = try ServerConfiguration.load(file: nil, environment: [:])
    #expect(configuration.dataDirectory == "./data")
    #expect(configuration.effectiveSocketPath == "./data/thaiyyal.sock")
    #expect(
      try configuration.listenAddresses() == [.unixDomainSocket(path: "./data/thaiyyal.sock")]
    )
  }

  @Test("YAML applies, then the environment overrides it")
  func layering() throws {
    var configuration = ServerConfiguration()
    try configuration.apply(
      yaml: """
        data_dir: /var/lib/thaiyyal
        listen:
          tcp: 127.0.0.1:7480
        limits:
          max_connections: 50
          idle_timeout_seconds: 60
        log:
          level: debug
          format: json
        """
    )
    try configuration.apply(environment: [
      "THAIYYAL_ADDRESS": "[::1]:9000", "THAIYYAL_LOG_LEVEL": "warning",
    ])
    #expect(configuration.dataDirectory == "/var/lib/thaiyyal")
    #expect(configuration.transport.maxConnections == 50)
    #expect(configuration.transport.idleTimeout == .seconds(60))
    #expect(configuration.logFormat == .json)
    #expect(configuration.logLevel == .warning)
    #expect(try configuration.listenAddresses().last == .tcp(host: "::1", port: 9000))
  }

  @Test(
    "unknown keys, wrong types and bad values are errors",
    arguments: [
      "listen:\n  tpc: 1.2.3.4:5",
      "limits:\n  max_connections: lots",
      "log:\n  level: loud",
      "- just a list",
      "data_dir: [1, 2]",
      "plans:\n  gold:\n    max_users: 1",
      "plans:\n  free:\n    max_users: -2",
      "security:\n  operator_uids: [-1]",
      "security:\n  operator_uids: [99999999999]",
      "database:\n  synchronous: sometimes",
    ]
  )
  func rejects(yaml: String) {
    var configuration = ServerConfiguration()
    #expect(throws: ConfigurationError.self) { try configuration.apply(yaml: yaml) }
  }

  @Test("docs/config.example.yaml is valid and states the defaults")
  func example() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/config.example.yaml").path
    let loaded = try ServerConfiguration.load(file: path, environment: [:])
    let defaults = ServerConfiguration()
    #expect(loaded.dataDirectory == defaults.dataDirectory)
    #expect(loaded.transport == defaults.transport)
    #expect(loaded.plans == defaults.plans)
    #expect(loaded.operatorUIDs == defaults.operatorUIDs)
    #expect(loaded.synchronous == .full)
    #expect(loaded.tokenLifetime == defaults.tokenLifetime)
    #expect(loaded.maxFailedLogins == defaults.maxFailedLogins)
    #expect(loaded.lockout == defaults.lockout)
    #expect(loaded.passwordHashCost == defaults.passwordHashCost)
    #expect(loaded.multiTenant && loaded.defaultTenant == defaults.defaultTenant)
  }

  @Test("one organisation: multi_tenant.enabled false, its tenant's slug checked")
  func singleOrganisation() throws {
    #expect(ServerConfiguration().singleTenant == nil)
    var configuration = ServerConfiguration()
    try configuration.apply(
      yaml: "multi_tenant:\n  enabled: false\n  default_tenant: acme\n",
      source: "test"
    )
    try configuration.validate()
    #expect(configuration.singleTenant == "acme")
    try configuration.apply(environment: ["THAIYYAL_DEFAULT_TENANT": "our-team"])
    #expect(configuration.singleTenant == "our-team")
    try configuration.apply(environment: ["THAIYYAL_MULTI_TENANT": "true"])
    #expect(configuration.singleTenant == nil)
    #expect(throws: ConfigurationError.self) {
      try configuration.apply(environment: ["THAIYYAL_MULTI_TENANT": "sometimes"])
    }
    for yaml in ["multi_tenant:\n  enabled: no-thanks", "multi_tenant:\n  tenants: 3"] {
      #expect(throws: ConfigurationError.self) { try configuration.apply(yaml: yaml) }
    }
    configuration.defaultTenant = "Not A Slug"
    #expect(throws: ConfigurationError.self) { try configuration.validate() }
  }

  @Test("the observability endpoint: off by default; set by the file, the environment or --http")
  func observabilityAddress() throws {
    #expect(ServerConfiguration().observabilityAddress == nil)
    var configuration = ServerConfiguration()
    try configuration.apply(yaml: "observability:\n  http: 127.0.0.1:9464\n", source: "test")
    #expect(configuration.observabilityAddress == "127.0.0.1:9464")
    try configuration.apply(environment: ["THAIYYAL_HTTP": "[::1]:0"])
    #expect(configuration.observabilityAddress == "[::1]:0")
    #expect(ServerConfiguration.splitHostPort("[::1]:0")! == ("::1", 0))
    for bad in ["9464", "localhost:", ":9464", "host:99999"] {
      #expect(throws: ConfigurationError.self) {
        try configuration.apply(environment: ["THAIYYAL_HTTP": bad])
      }
    }
  }

  @Test("plan limits, security settings and the sync mode are configurable")
  func plansAndSecurity() throws {
    var configuration = ServerConfiguration()
    try configuration.apply(
      yaml: """
        security:
          operator_uids: [0, 1000]
          max_failed_logins: 3
          lockout_seconds: 60
        plans:
          free:
            max_users: 2
          enterprise:
            max_nodes_per_workflow: -1
        database:
          synchronous: normal
        """
    )
    #expect(configuration.operatorUIDs == [0, 1000])
    #expect(configuration.maxFailedLogins == 3)
    #expect(configuration.lockout == .seconds(60))
    #expect(configuration.plans.limits[.free]?.maxUsers == 2)
    #expect(
      configuration.plans.limits[.free]?.maxWorkflows == 10,
      "other limits keep their defaults"
    )
    #expect(configuration.plans.limits[.enterprise]?.maxNodesPerWorkflow == -1)
    #expect(configuration.synchronous == .normal)
  }

  @Test("validation refuses dangerous limits and bad addresses")
  func validation() {
    var tooBig = ServerConfiguration()
    tooBig.transport.maxMessageSize = 8 << 20
    #expect(throws: ConfigurationError.self) { try tooBig.validate() }
    var badAddress = ServerConfiguration()
    badAddress.tcpAddress = "localhost"
    #expect(throws: ConfigurationError.self) { try badAddress.validate() }
    var longSocket = ServerConfiguration()
    longSocket.socketPath = "/tmp/" + String(repeating: "s", count: 120)
    #expect(throws: ConfigurationError.self) { try longSocket.validate() }
  }

  @Test(
    "TCP addresses parse with and without brackets",
    arguments: [
      ("127.0.0.1:7480", BindAddress.tcp(host: "127.0.0.1", port: 7480)),
      ("[::1]:0", BindAddress.tcp(host: "::1", port: 0)),
      ("localhost:80", BindAddress.tcp(host: "localhost", port: 80)),
    ]
  )
  func parse(text: String, expected: BindAddress) throws {
    #expect(try BindAddress.parseTCP(text) == expected)
  }

  @Test(
    "malformed TCP addresses are refused",
    arguments: ["7480", ":7480", "host:", "host:99999", "[::1:80", "a b:1"]
  )
  func parseFails(text: String) {
    #expect(throws: TransportError.self) { try BindAddress.parseTCP(text) }
  }
}
