import Logging
import ServiceLifecycle
import ThaiyyalRPC
import ThaiyyalTransport

/// The ttrpc listeners as a `Service`: `run()` binds every address and serves; on graceful
/// shutdown Health reports `NOT_SERVING`, listening stops and in-flight calls finish (up to the
/// drain timeout) before it returns.
struct TransportService: Service {
  let table: RPCHandlerTable
  let configuration: ServerConfiguration
  let health: HealthService
  let listening: OneShot<[BindAddress]>
  let logger: Logger

  func run() async throws {
    let transport = TTRPCServer(
      table: table,
      configuration: configuration.transport,
      logger: logger
    )
    do {
      let bound = try await transport.start(listeningOn: try configuration.listenAddresses())
      listening.resolve(.success(bound))
      logger.info(
        "thaiyyal \(ServerVersion.current) serving",
        metadata: ["data-dir": "\(configuration.dataDirectory)"]
      )
    } catch {
      listening.resolve(.failure(error))
      throw error
    }
    do {
      try await gracefulShutdown()
      logger.info("draining in-flight calls")
      health.beginDraining()
      await transport.shutdown(graceful: true)
    } catch {
      await transport.shutdown(graceful: false)
      throw error
    }
  }
}
