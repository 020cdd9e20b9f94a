/// Calendar arithmetic for audit times (milliseconds since 1970, UTC), without the system's
/// time zone database: UTC as ISO 8601, and Swedish local time (Europe/Stockholm: CET, UTC+1,
/// and from the last Sunday of March to the last Sunday of October at 01:00 UTC, CEST, UTC+2 —
/// the EU rule in force since 1996). A log review must give the same answer on every machine.
enum AuditTime {
    static let msPerDay: Int64 = 86_400_000
    static let msPerHour: Int64 = 3_600_000

    /// `2024-05-01T12:34:56.789Z`.
    static func iso(_ ms: Int64) -> String {
        let day = floorDiv(ms, msPerDay)
        let (y, m, d) = civil(fromDays: day)
        let inDay = ms - day * msPerDay
        let h = inDay / msPerHour
        let min = (inDay / 60_000) % 60
        let s = (inDay / 1000) % 60
        let milli = inDay % 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(min, 2)):\(pad(s, 2)).\(pad(milli, 3))Z"
    }

    /// Local time in Stockholm.
    struct Local: Sendable, Equatable {
        /// 1 Monday … 7 Sunday (ISO 8601).
        var weekday: Int
        var hour: Int
        var minute: Int
        /// `2024-05-01 14:34 CEST`.
        var text: String
    }

    static func stockholm(_ ms: Int64) -> Local {
        let (y, _, _) = civil(fromDays: floorDiv(ms, msPerDay))
        let summer = ms >= summerStart(year: y) && ms < summerEnd(year: y)
        let local = ms + (summer ? 2 : 1) * msPerHour
        let day = floorDiv(local, msPerDay)
        let (ly, lm, ld) = civil(fromDays: day)
        let inDay = local - day * msPerDay
        let hour = Int(inDay / msPerHour)
        let minute = Int((inDay / 60_000) % 60)
        // 1970-01-01 was a Thursday (ISO weekday 4).
        let weekday = Int(((day % 7) + 7 + 3) % 7) + 1
        let text =
            "\(pad(ly, 4))-\(pad(lm, 2))-\(pad(ld, 2)) \(pad(Int64(hour), 2)):\(pad(Int64(minute), 2)) \(summer ? "CEST" : "CET")"
        return Local(weekday: weekday, hour: hour, minute: minute, text: text)
    }

    /// Midnight at the start of `YYYY-MM-DD` in Stockholm, as ms since 1970; nil if the text is
    /// not such a date.
    static func stockholmMidnight(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y)
        else { return nil }
        let utcMidnight = days(year: y, month: m, day: d) * msPerDay
        // Midnight is never inside a switch hour (01:00 UTC), so the offset at UTC midnight
        // minus one hour decides it.
        let summer = utcMidnight - msPerHour >= summerStart(year: y) && utcMidnight - msPerHour < summerEnd(year: y)
        return utcMidnight - (summer ? 2 : 1) * msPerHour
    }

    // MARK: the civil calendar (H. Hinnant's algorithms, proleptic Gregorian)

    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day number of the last Sunday of `month`.
    private static func lastSunday(year: Int64, month: Int64) -> Int64 {
        let last = days(year: year, month: month, day: daysIn(month: month, year: year))
        let weekdayFromSunday = ((last % 7) + 7 + 4) % 7  // 0 Sunday
        return last - weekdayFromSunday
    }

    private static func summerStart(year: Int64) -> Int64 { lastSunday(year: year, month: 3) * msPerDay + msPerHour }
    private static func summerEnd(year: Int64) -> Int64 { lastSunday(year: year, month: 10) * msPerDay + msPerHour }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
