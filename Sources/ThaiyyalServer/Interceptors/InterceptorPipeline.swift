import ThaiyyalRPC

/// The interceptor chain every call passes, in order (DESIGN.md section 1):
/// observe → deadline → authenticate → resolve tenant → authorize → rate-limit.
///
/// Rate limits arrive with the identity work; it is one more line here.
enum InterceptorPipeline {
  static func make(
    configuration: ServerConfiguration,
    tenants: TenantDirectory
  ) -> [ScopedInterceptor] {
    [
      ScopedInterceptor(ObserveInterceptor()),
      ScopedInterceptor(DeadlineInterceptor()),
      ScopedInterceptor(AuthenticationInterceptor(operatorUIDs: configuration.operatorUIDs)),
      ScopedInterceptor(TenantResolutionInterceptor(directory: tenants)),
      ScopedInterceptor(AuthorizationInterceptor(policies: AccessPolicies.table)),
    ]
  }
}
