import Foundation
import SwiftProtobuf
import Synchronization
import ThaiyyalProto
import ThaiyyalRPC

/// `thaiyyal.v1.Health`: serving status, version and uptime; needs no token.
///
/// Reports `NOT_SERVING` once the server has begun draining for shutdown, so supervisors stop
/// routing work to it.
final class HealthService: Thaiyyal_V1_Health.ServiceProtocol {
  private let started = ContinuousClock.now
  private let startTime = Google_Protobuf_Timestamp(date: Date())
  private let draining = Atomic<Bool>(false)

  /// Marks the server as draining; later checks answer `NOT_SERVING`.
  func beginDraining() {
    draining.store(true, ordering: .relaxed)
  }

  /// Whether ``beginDraining()`` was called.
  var isDraining: Bool { draining.load(ordering: .relaxed) }

  func check(
    request: Thaiyyal_V1_CheckRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_CheckResponse {
    guard request.service.isEmpty else {
      throw RPCError(
        .notFound,
        "unknown service '\(request.service.prefix(200))'; leave service empty for the whole server"
      )
    }
    var response = Thaiyyal_V1_CheckResponse()
    response.status = draining.load(ordering: .relaxed) ? .notServing : .serving
    response.version = ServerVersion.current
    let (seconds, attoseconds) = (ContinuousClock.now - started).components
    response.uptime = Google_Protobuf_Duration(
      seconds: seconds,
      nanos: Int32(attoseconds / 1_000_000_000)
    )
    response.startTime = startTime
    return response
  }
}
