import Testing
import ThaiyyalCore

@Suite("Core values")
struct CoreTests {
  @Test("civil dates and day numbers convert both ways, leap days included")
  func civilDates() {
    #expect(CivilDate(daysSinceEpoch: 0) == CivilDate(year: 1970, month: 1, day: 1))
    #expect(CivilDate(year: 2024, month: 2, day: 29).text == "2024-02-29")
    #expect(CivilDate(daysSinceEpoch: -1).text == "1969-12-31")
    for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
      #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
    }
  }

  @Test("the UTC day and its end, for the daily quota period")
  func utcDay() {
    let (day, next) = Clock.utcDay(of: 1_795_950_000_000)
    #expect(day == "2026-11-29")
    #expect(next == 1_795_996_800_000)
    #expect(Clock.utcDay(of: -1).day == "1969-12-31")
  }

  @Test("UUIDv7 ids are valid and strictly increasing within a process")
  func uuids() {
    let ids = (0 ..< 5000).map { _ in UUIDv7.generate() }
    #expect(ids.allSatisfy(UUIDv7.isValid))
    #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    #expect(!UUIDv7.isValid("acme"))
  }

  @Test(
    "slugs",
    arguments: [
      ("acme", true), ("a-1-b", true), ("ab", false), ("-ab", false), ("a--b", false),
      ("Acme", false),
    ]
  )
  func slugs(slug: String, valid: Bool) {
    #expect(Slug.isValid(slug) == valid)
  }
}
