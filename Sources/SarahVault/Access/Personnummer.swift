/// Detects Swedish personnummer and samordningsnummer in text, so that they are kept out of
/// anything the vault stores in the clear or in a field the routine forbids them in.
///
/// Rules (Skatteverket; see `shared/design/VECTORS.md`, section Personnummer):
///
/// - **Forms.** `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC` (10 digits) and `YYYYMMDD-NNNC`,
///   `YYYYMMDD+NNNC`, `YYYYMMDDNNNC` (12 digits). `+` marks a person who has turned 100; the
///   12-digit form normally has no `+`, but it is accepted there too (the guard errs on the
///   side of refusing).
/// - **Text, before matching** (`PersonnummerText`): every decimal digit of any script
///   (General Category Nd: fullwidth `６`, Arabic-Indic `٦`, …) counts as that ASCII digit;
///   every dash (Pd: hyphen, non-breaking hyphen U+2011, en and em dash, …) and U+2212 MINUS
///   SIGN counts as `-`; every space separator (Zs) as a space; invisible format characters
///   (Cf: zero-width space U+200B, U+200C, U+200D, word joiner U+2060, U+FEFF, soft hyphen
///   U+00AD, bidi controls) are removed; any other character is replaced by its NFKC form
///   (fullwidth `＋` is `+`). So `６４０８２３‑３２３４` and `640823\u{200B}3234` are found.
/// - **Separators.** Exactly one `-` or `+` (after the folding above), or none. A space
///   (`640823 3234`), a slash, a dot or two separators are *not* recognised: accepting spaces
///   would flag ordinary groups of numbers (and spaced phone numbers) far more often than it
///   would catch a real number written that way.
/// - **Boundaries.** The number must not be preceded or followed by a digit (of any script):
///   a 10-digit window inside a 14-digit number is not a personnummer. Letters and punctuation
///   around it are fine (`pnr:6408233234,` is detected).
/// - **Date.** Month 01–12, day 01 up to the last day of that month. Samordningsnummer carry
///   day + 60 (61–91); the underlying date must exist in the same way.
///   - 12 digits: the century must be 18, 19 or 20 and the full date must exist
///     (`19000229` does not, `20000229` does).
///   - 10 digits with `-` or no separator: accepted if the date exists in the 1800s, 1900s or
///     2000s. This only matters for 29 February: `YY0229` exists iff `YY` is divisible by 4
///     (for `00` because 2000 was a leap year).
///   - 10 digits with `+` (born at least 100 years ago): the date must exist in the 1800s or
///     1900s, so `000229+NNNC` is rejected (neither 1800 nor 1900 was a leap year).
/// - **Check digit.** Luhn over the nine digits `YYMMDDNNN` (the century is not included):
///   weights 2,1,2,1,…, summing the digits of each product; check = (10 − sum mod 10) mod 10.
///
/// Strings are read as Unicode text. Streams (`PersonnummerScanner`) are read as UTF-8 —
/// bytes that are not UTF-8 are boundaries, so an ASCII-compatible 8-bit encoding (Latin-1,
/// Windows-1252) is scanned for its ASCII digits — or as UTF-16 LE/BE when asked.
public enum Personnummer {
    /// Whether a valid number is a personnummer or a samordningsnummer (day + 60).
    public enum Kind: Sendable, Hashable {
        case personnummer
        case samordningsnummer
    }

    /// One number found in a text.
    public struct Match: Sendable, Hashable {
        public let range: Range<String.Index>
        public let kind: Kind
    }

    /// True if `text` contains a personnummer or samordningsnummer anywhere.
    public static func containsPersonnummer(_ text: String) -> Bool {
        var stream = PersonnummerText(.utf8)
        stream.feed(text.utf8)
        stream.finish()
        return stream.count > 0
    }

    /// True if the whole of `candidate` (nothing before or after it) is one valid
    /// personnummer or samordningsnummer in one of the accepted forms.
    public static func isValid(_ candidate: String) -> Bool {
        kind(of: candidate) != nil
    }

    /// The kind of number `candidate` is, or `nil` if the whole string is not exactly one valid
    /// personnummer or samordningsnummer.
    public static func kind(of candidate: String) -> Kind? {
        let byteCount = candidate.utf8.count
        guard byteCount >= 10 else { return nil }
        let found = hits(in: candidate)
        guard found.count == 1, let hit = found.first, hit.start == 0, hit.end == byteCount else {
            return nil
        }
        return hit.kind
    }

    /// Every number in `text`, in order, with its kind.
    public static func matches(in text: String) -> [Match] {
        let hits = hits(in: text)
        guard !hits.isEmpty else { return [] }

        // Hits are UTF-8 offsets in increasing order; walk the UTF-8 view once to turn them
        // into indices. Every hit starts where a digit's scalar starts and ends where one ends,
        // so these are valid scalar boundaries.
        let utf8 = text.utf8
        var index = utf8.startIndex
        var position = 0
        func advance(to offset: Int) -> String.Index {
            index = utf8.index(index, offsetBy: offset - position)
            position = offset
            return index
        }
        var result: [Match] = []
        result.reserveCapacity(hits.count)
        for hit in hits {
            let lower = advance(to: hit.start)
            let upper = advance(to: hit.end)
            result.append(Match(range: lower..<upper, kind: hit.kind))
        }
        return result
    }

    /// The ranges of every number in `text`, in order.
    public static func findAll(in text: String) -> [Range<String.Index>] {
        matches(in: text).map(\.range)
    }

    /// Every number in `text` as UTF-8 offsets, in order.
    static func hits(in text: String) -> [Engine.Hit] {
        var stream = PersonnummerText(.utf8, collectHits: true)
        stream.feed(text.utf8)
        stream.finish()
        return stream.hits
    }

    /// The Luhn check digit for the nine digits `YYMMDDNNN`, or `nil` if `nineDigits` is not
    /// exactly nine ASCII digits.
    public static func checkDigit(for nineDigits: String) -> Int? {
        let bytes = Array(nineDigits.utf8)
        guard bytes.count == 9, bytes.allSatisfy(Engine.isDigit) else { return nil }
        var digits = SIMD16<UInt8>()
        for (i, b) in bytes.enumerated() { digits[i] = b &- 0x30 }
        return Int(luhnCheckDigit(digits, from: 0))
    }

    // MARK: - Validation

    /// Luhn check digit over `digits[from ..< from + 9]` (values 0–9).
    static func luhnCheckDigit(_ digits: SIMD16<UInt8>, from start: Int) -> UInt8 {
        var sum = 0
        for i in 0..<9 {
            var product = Int(digits[start + i]) * (i % 2 == 0 ? 2 : 1)
            if product > 9 { product -= 9 }  // digit sum of a product ≤ 18
            sum += product
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// Validates `count` (10 or 12) digits (values 0–9) written with `separator` (`-`, `+`,
    /// or `nil` for none).
    static func validate(_ d: SIMD16<UInt8>, count: Int, separator: UInt8?) -> Kind? {
        guard count == 10 || count == 12 else { return nil }
        let o = count - 10  // where YY starts
        guard luhnCheckDigit(d, from: o) == d[o + 9] else { return nil }

        let yy = Int(d[o]) * 10 + Int(d[o + 1])
        let month = Int(d[o + 2]) * 10 + Int(d[o + 3])
        let rawDay = Int(d[o + 4]) * 10 + Int(d[o + 5])
        guard (1...12).contains(month) else { return nil }

        let kind: Kind
        let day: Int
        switch rawDay {
        case 1...31: (kind, day) = (.personnummer, rawDay)
        case 61...91: (kind, day) = (.samordningsnummer, rawDay - 60)
        default: return nil
        }

        let centuries: [Int]
        if count == 12 {
            let century = Int(d[0]) * 10 + Int(d[1])
            guard (18...20).contains(century) else { return nil }
            centuries = [century]
        } else if separator == UInt8(ascii: "+") {
            centuries = [18, 19]
        } else {
            centuries = [18, 19, 20]
        }
        let exists = centuries.contains { day <= daysIn(month: month, year: $0 * 100 + yy) }
        return exists ? kind : nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: - Byte-level matcher

    /// A byte-at-a-time matcher shared by the string functions and the streaming scanner. It
    /// sees folded text (`PersonnummerText`): ASCII digits, `-`, `+`, and anything else as a
    /// boundary. It keeps only the current run of digits and, if that run was preceded by
    /// `DDDDDD-` or `DDDDDDDD-` (or `+`), the previous run — so it needs no look-back into
    /// earlier chunks. Each byte comes with the source offsets of the character it stands for,
    /// so a hit is reported where it is in the input, whatever the encoding.
    ///
    /// A candidate is decided when a run of digits ends (at a non-digit byte or at the end of
    /// the input): a run of exactly 10 or 12 digits, or a run of exactly 4 digits directly
    /// after a run of exactly 6 or 8 digits and one `-`/`+`.
    struct Engine: Sendable {
        struct Hit: Sendable, Equatable {
            /// Source offsets: from the start of the first digit to the end of the last.
            var start: Int
            var end: Int
            var kind: Kind
        }

        private var run = SIMD16<UInt8>()
        private var runLength = 0  // capped at 13 (= "longer than 12")
        private var runStart = 0
        private var runEnd = 0
        private var runFollowsSeparator = false

        private var previous = SIMD16<UInt8>()
        private var previousLength = 0
        private var previousStart = 0
        private var separator: UInt8 = 0
        /// The last byte was a `-`/`+` directly after a run of 6 or 8 digits.
        private var separatorPending = false

        static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

        /// Feeds one folded byte that stands for the input's `start ..< end`.
        @inline(__always)
        mutating func feed(_ byte: UInt8, start: Int, end: Int) -> Hit? {
            if Self.isDigit(byte) {
                if runLength == 0 {
                    runStart = start
                    runFollowsSeparator = separatorPending
                    separatorPending = false
                }
                if runLength < 12 { run[runLength] = byte &- 0x30 }
                if runLength < 13 { runLength += 1 }
                runEnd = end
                return nil
            }
            if runLength > 0 { return endRun(terminator: byte) }
            separatorPending = false
            return nil
        }

        /// Ends the input: a number right at the end has no byte after it to end its run.
        /// The matcher is then ready for a new, unrelated input.
        mutating func finish() -> Hit? {
            let hit = runLength > 0 ? endRun(terminator: nil) : nil
            separatorPending = false
            return hit
        }

        private mutating func endRun(terminator: UInt8?) -> Hit? {
            var hit: Hit?
            if runLength == 10 || runLength == 12 {
                if let kind = Personnummer.validate(run, count: runLength, separator: nil) {
                    hit = Hit(start: runStart, end: runEnd, kind: kind)
                }
            } else if runLength == 4, runFollowsSeparator {
                var combined = previous
                for j in 0..<4 { combined[previousLength + j] = run[j] }
                if let kind = Personnummer.validate(
                    combined, count: previousLength + 4, separator: separator)
                {
                    hit = Hit(start: previousStart, end: runEnd, kind: kind)
                }
            }

            if let t = terminator, t == UInt8(ascii: "-") || t == UInt8(ascii: "+"),
                runLength == 6 || runLength == 8
            {
                previous = run
                previousLength = runLength
                previousStart = runStart
                separator = t
                separatorPending = true
            } else {
                separatorPending = false
            }
            runLength = 0
            runFollowsSeparator = false
            return hit
        }
    }
}
