/// Registry identifiers and dates, validated before anything is stored.
///
/// A diarienummer is the registry's number for a case, e.g. `ASN 2021/0026` or `2021/ASN 0026`:
/// a series prefix of 2–8 letters and a year/serial, or the same with the year first.
/// It is public (the registry shows it) and is the case's identifier in the vault.
public enum Diarienummer {
    public static func validate(_ raw: String) throws(VaultError) -> String {
        let text = raw.trimmingWhitespace()
        if Personnummer.containsPersonnummer(text) {
            throw VaultError(.invalidInput, "a diarienummer must not contain a personnummer")
        }
        guard text.utf8.count <= 40, matches(text) else {
            throw VaultError(
                .invalidInput, "malformed diarienummer '\(printable(text))'",
                hints: ["write it as the registry does, e.g. 'ASN 2021/0026' or '2021/ASN 0026'"])
        }
        return text
    }

    private static func matches(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        // PREFIX[ -]YYYY / NNNN
        if let (prefix, year) = splitPrefix(parts[0]), isLetters(prefix), isDigits(year, 4...4),
            isDigits(parts[1], 1...6)
        {
            return true
        }
        // YYYY / PREFIX[ -]NNNN
        if isDigits(parts[0], 4...4), let (prefix, serial) = splitPrefix(parts[1]), isLetters(prefix),
            isDigits(serial, 1...6)
        {
            return true
        }
        return false
    }

    private static func splitPrefix(_ s: Substring) -> (Substring, Substring)? {
        guard let i = s.firstIndex(where: { $0 == " " || $0 == "-" }) else { return nil }
        return (s[..<i], s[s.index(after: i)...])
    }

    private static func isLetters(_ s: Substring) -> Bool {
        (2...8).contains(s.count) && s.allSatisfy { $0.isLetter && $0.isUppercase }
    }

    private static func isDigits(_ s: Substring, _ range: ClosedRange<Int>) -> Bool {
        range.contains(s.count) && s.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The input cut short and stripped of control characters, for error messages — and never
    /// repeated at all if it holds a personnummer.
    static func printable(_ s: String) -> String {
        if Personnummer.containsPersonnummer(s) { return "(a personnummer, not repeated here)" }
        return String(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(40).map(Character.init))
    }
}

/// A calendar date written YYYY-MM-DD that exists.
public enum RegistryDate {
    public static func validate(_ raw: String) throws(VaultError) -> String {
        let text = raw.trimmingWhitespace()
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1900...2999).contains(y), isValid(year: y, month: m, day: d)
        else {
            throw VaultError(.invalidInput, "'\(Diarienummer.printable(text))' is not a date (YYYY-MM-DD)")
        }
        return text
    }

    static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }
}
