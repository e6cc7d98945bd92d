#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as the store keeps it: integer milliseconds since the Unix epoch, UTC.
public enum Clock {
  public static func nowMilliseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
  }

  /// The UTC day (`YYYY-MM-DD`) containing `milliseconds`, and the start of the next day.
  public static func utcDay(of milliseconds: Int64) -> (day: String, nextDayStart: Int64) {
    let dayNumber =
      milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
    return (CivilDate(daysSinceEpoch: dayNumber).text, (dayNumber + 1) * 86_400_000)
  }
}
