import ThaiyyalRPC

/// The interceptor chain every call passes, in order (DESIGN.md section 1):
/// observe → deadline → authenticate → resolve tenant → authorize → rate-limit.
///
/// Authentication, tenancy, authorization and rate limits arrive with the identity and tenancy
/// work; each is one more line here.
enum InterceptorPipeline {
  static func make() -> [ScopedInterceptor] {
    [
      ScopedInterceptor(ObserveInterceptor()),
      ScopedInterceptor(DeadlineInterceptor()),
    ]
  }
}
