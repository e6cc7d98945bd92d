import ThaiyyalCore
import ThaiyyalProto
import ThaiyyalRPC
import ThaiyyalStore

/// `thaiyyal.v1.AuditService`: reads a tenant's append-only audit log, newest first.
struct AuditService: Thaiyyal_V1_AuditService.ServiceProtocol {
  let log: AuditLog

  func listAuditLogs(
    request: Thaiyyal_V1_ListAuditLogsRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_ListAuditLogsResponse {
    let page = try PageToken.page(size: request.pageSize, token: request.pageToken)
    var filter = AuditFilter()
    filter.action = request.action.isEmpty ? nil : request.action
    filter.resourceType = request.resourceType.isEmpty ? nil : request.resourceType
    filter.resourceID = request.resourceID.isEmpty ? nil : request.resourceID
    filter.actorID = request.actorID.isEmpty ? nil : request.actorID
    switch request.outcome {
    case .success: filter.outcome = .success
    case .denied: filter.outcome = .denied
    case .failure: filter.outcome = .failure
    default: filter.outcome = nil
    }
    if request.hasStartTime { filter.from = request.startTime.milliseconds }
    if request.hasEndTime { filter.until = request.endTime.milliseconds }
    let result = try await log.list(filter, page: page, in: context.requireTenantCall())
    var response = Thaiyyal_V1_ListAuditLogsResponse()
    response.entries = result.items.map(\.proto)
    response.nextPageToken = PageToken.encode(result.nextCursor)
    return response
  }

  func getAuditLog(
    request: Thaiyyal_V1_GetAuditLogRequest,
    context: ServerContext
  ) async throws -> Thaiyyal_V1_AuditLog {
    try await log.entry(request.id, in: context.requireTenantCall()).proto
  }
}
