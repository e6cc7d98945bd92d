package import NIOCore
package import ThaiyyalRPC

/// The handler table keyed by the bytes of service and method names, so a request is routed
/// straight from its envelope slices without building strings.
package struct RouteTable: Sendable {
  private let services: [ByteBuffer: [ByteBuffer: Route]]

  /// A method's descriptor (built once, not per call) and its resolved handler.
  package struct Route: Sendable {
    package let descriptor: MethodDescriptor
    package let handler: RPCHandler
    let serviceKey: ByteBuffer
    let methodKey: ByteBuffer

    /// Whether a call to `service`/`method` is this route (a byte comparison).
    func matches(service: ByteBuffer, method: ByteBuffer) -> Bool {
      method == methodKey && service == serviceKey
    }
  }

  package init(_ table: RPCHandlerTable) {
    var services: [ByteBuffer: [ByteBuffer: Route]] = [:]
    for (descriptor, handler) in table.handlers {
      let serviceKey = ByteBuffer(string: descriptor.service)
      let methodKey = ByteBuffer(string: descriptor.method)
      services[serviceKey, default: [:]][methodKey] = Route(
        descriptor: descriptor,
        handler: handler,
        serviceKey: serviceKey,
        methodKey: methodKey
      )
    }
    self.services = services
  }

  /// The handler for a call, or the `UNIMPLEMENTED` error ttrpc clients expect.
  package func route(service: ByteBuffer, method: ByteBuffer) throws(RPCError) -> Route {
    guard let methods = services[service] else {
      throw RPCError(.unimplemented, "service \(String(buffer: service))")
    }
    guard let route = methods[method] else {
      throw RPCError(.unimplemented, "method \(String(buffer: method))")
    }
    return route
  }
}
