import ThaiyyalProto
import ThaiyyalRPC

/// The interceptor chain every call passes, in order (DESIGN.md section 1):
/// observe → deadline → limit strangers per peer → authenticate → resolve tenant → authorize →
/// rate-limit the tenant.
enum InterceptorPipeline {
  static func make(
    configuration: ServerConfiguration,
    tenants: TenantDirectory,
    identities: IdentityDirectory,
    tokens: TokenIssuer,
    denials: DenialRecorder
  ) -> [ScopedInterceptor] {
    [
      ScopedInterceptor(ObserveInterceptor()),
      ScopedInterceptor(DeadlineInterceptor()),
      // Health answers as cheaply as a refusal would, so limiting it per peer protects nothing
      // and would only break monitors and load balancers.
      ScopedInterceptor(
        PeerLimitInterceptor(
          operatorUIDs: configuration.operatorUIDs,
          rate: Double(configuration.anonymousCallsPerSecond),
          burst: Double(configuration.anonymousBurst)
        ),
        scope: .allExcluding(services: [Thaiyyal_V1_Health.descriptor.name])
      ),
      ScopedInterceptor(
        AuthenticationInterceptor(
          operatorUIDs: configuration.operatorUIDs,
          tokens: tokens,
          identities: identities,
          denials: denials
        )
      ),
      ScopedInterceptor(
        TenantResolutionInterceptor(
          directory: tenants,
          plans: configuration.plans,
          clock: configuration.clock,
          singleTenant: configuration.singleTenant
        )
      ),
      ScopedInterceptor(AuthorizationInterceptor(policies: AccessPolicies.table, denials: denials)),
      ScopedInterceptor(RateLimitInterceptor()),
    ]
  }
}
