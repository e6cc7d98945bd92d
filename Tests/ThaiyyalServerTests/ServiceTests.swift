import SwiftProtobuf
import Testing
import ThaiyyalClient
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalServer
import ThaiyyalTesting

/// Services through the whole interceptor chain, in process.
@Suite("Services in process")
struct ServiceTests {
  @Test("Health/Check answers SERVING with version and uptime, without a token")
  func health() async throws {
    try await withTestServer(.inProcess) { server in
      let response = try await server.makeClient().health.check()
      #expect(response.status == .serving)
      #expect(response.version == ServerVersion.current)
      #expect(response.hasUptime)
      #expect(response.startTime.seconds > 0)
    }
  }

  @Test("Health/Check of an unknown named service is NOT_FOUND")
  func healthUnknownService() async throws {
    try await withTestServer(.inProcess) { server in
      var request = Thaiyyal_V1_CheckRequest()
      request.service = "nope"
      await #expect {
        try await server.makeClient().health.check(request)
      } throws: { error in
        (error as? RPCError)?.code == .notFound
      }
    }
  }

  @Test("every method of every service is registered, and nothing else")
  func everyMethodRegistered() async throws {
    try await withTestServer(.inProcess) { server in
      let registered = Set(server.application.handlerTable.handlers.keys)
      let expected = Set(ServerApplication.services.flatMap(\.methods))
      #expect(registered == expected)
      #expect(expected.count == 39)
    }
  }

  @Test("a payload that is not the method's message answers INVALID_ARGUMENT")
  func undecodablePayload() async throws {
    try await withTestServer(.inProcess) { server in
      let transport = InProcessTransport(table: server.application.handlerTable)
      await #expect {
        try await transport.unary(
          Thaiyyal_V1_Health.Method.check,
          payload: [0x0A, 0xFF, 0x01],
          options: .default
        )
      } throws: { error in
        (error as? RPCError)?.code == .invalidArgument
      }
    }
  }
}
