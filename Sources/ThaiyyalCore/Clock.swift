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
    // Civil-from-days (Howard Hinnant), proleptic Gregorian calendar.
    let z = dayNumber + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func pad(_ n: Int64, _ width: Int) -> String {
      let s = String(n)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return ("\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))", (dayNumber + 1) * 86_400_000)
  }
}
