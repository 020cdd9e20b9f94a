import Testing

@testable import SarahVault

// Expected check digits below were worked out by hand from the rules in
// shared/design/VECTORS.md (Luhn over YYMMDDNNN, weights 2,1,2,…, digit sums of products,
// check = (10 − sum mod 10) mod 10), not taken from the implementation. The working is in the
// comments, e.g. 640823 323: 6·2=12→3, 4, 0, 8, 2·2=4, 3, 3·2=6, 2, 3·2=6 → 36 → check 4.

private let p = Personnummer.Kind.personnummer
private let s = Personnummer.Kind.samordningsnummer

extension PersonnummerTests {
    struct ValidNumber: Sendable, CustomTestStringConvertible {
        let text: String
        let kind: Personnummer.Kind
        let why: String
        var testDescription: String { "\(text) (\(why))" }
    }

    struct LookAlike: Sendable, CustomTestStringConvertible {
        let text: String
        let why: String
        var testDescription: String { "\(text) (\(why))" }
    }

    static let validNumbers: [ValidNumber] = [
        // Skatteverket's worked example, 1964-08-23; sum 36 → check 4.
        .init(text: "640823-3234", kind: p, why: "10 digits, -"),
        .init(text: "6408233234", kind: p, why: "10 digits, no separator"),
        .init(text: "19640823-3234", kind: p, why: "12 digits, -"),
        .init(text: "196408233234", kind: p, why: "12 digits, no separator"),
        // Skatteverket's samordningsnummer example, day 63 = 3 + 60 (1970-10-03):
        // 7·2=14→5, 0, 1·2=2, 0, 6·2=12→3, 3, 2·2=4, 3, 9·2=18→9 → 29 → check 1.
        .init(text: "701063-2391", kind: s, why: "samordningsnummer, 10 digits, -"),
        .init(text: "7010632391", kind: s, why: "samordningsnummer, 10 digits, none"),
        .init(text: "701063+2391", kind: s, why: "samordningsnummer, 10 digits, + (1870)"),
        .init(text: "19701063-2391", kind: s, why: "samordningsnummer, 12 digits, -"),
        .init(text: "197010632391", kind: s, why: "samordningsnummer, 12 digits, none"),
        // Skatteverket test number 1890-01-01: 9·2=18→9, 0, 0, 1, 0, 1, 9·2=18→9, 8, 0 → 28 → 2.
        .init(text: "189001019802", kind: p, why: "test number, 12 digits"),
        .init(text: "18900101-9802", kind: p, why: "test number, 12 digits, -"),
        .init(text: "900101+9802", kind: p, why: "test number, 10 digits, + (born 1890)"),
        // Skatteverket test number 2017-01-01: 1·2=2, 7, 0, 1, 0, 1, 2·2=4, 3, 9·2=18→9 → 27 → 3.
        .init(text: "201701012393", kind: p, why: "test number, 12 digits"),
        .init(text: "20170101-2393", kind: p, why: "test number, 12 digits, -"),
        .init(text: "170101-2393", kind: p, why: "test number, 10 digits, -"),
        // 1912-12-12: 1·2=2, 2, 1·2=2, 2, 1·2=2, 2, 1·2=2, 2, 1·2=2 → 18 → check 2.
        .init(text: "121212+1212", kind: p, why: "10 digits, + (born 1912)"),
        .init(text: "19121212+1212", kind: p, why: "12 digits with + (unusual, still refused)"),
        // 2000-02-29 exists (2000 is a leap year): 0, 0, 0, 2, 2·2=4, 9, 1·2=2, 2, 3·2=6 → 25 → 5.
        .init(text: "000229-1235", kind: p, why: "29 Feb 2000, 10 digits, -"),
        .init(text: "0002291235", kind: p, why: "29 Feb 2000, 10 digits, none"),
        .init(text: "200002291235", kind: p, why: "29 Feb 2000, 12 digits"),
        // 1904-02-29: 0, 4, 0, 2, 2·2=4, 9, 1·2=2, 2, 3·2=6 → 29 → check 1.
        .init(text: "040229+1231", kind: p, why: "29 Feb 1904, 10 digits, +"),
        // samordningsnummer on 2004-02-29, day 89: 0, 4, 0, 2, 8·2=16→7, 9, 4·2=8, 5, 6·2=12→3
        // → 38 → check 2.
        .init(text: "040289-4562", kind: s, why: "samordningsnummer 29 Feb (day 89)"),
        .init(text: "20040289-4562", kind: s, why: "samordningsnummer 29 Feb 2004, 12 digits"),
        // samordningsnummer on 1985-12-31, day 91: 8·2=16→7, 5, 1·2=2, 2, 9·2=18→9, 1, 0, 0,
        // 1·2=2 → 28 → check 2.
        .init(text: "851291-0012", kind: s, why: "samordningsnummer 31 Dec (day 91)"),
        .init(text: "198512910012", kind: s, why: "samordningsnummer day 91, 12 digits"),
        // 1964-11-30, last day of a 30-day month: 6·2=12→3, 4, 1·2=2, 1, 3·2=6, 0, 3·2=6, 2,
        // 3·2=6 → 30 → check 0.
        .init(text: "641130-3230", kind: p, why: "30 November"),
    ]

    static let lookAlikes: [LookAlike] = [
        // Wrong check digit (the right ones are derived above).
        .init(text: "640823-3235", why: "check digit 5, should be 4"),
        .init(text: "6408233230", why: "check digit 0, should be 4"),
        .init(text: "19640823-3233", why: "check digit 3, should be 4"),
        .init(text: "701063-2392", why: "check digit 2, should be 1"),
        .init(text: "189001019803", why: "check digit 3, should be 2"),
        .init(text: "201701012394", why: "check digit 4, should be 3"),
        .init(text: "121212+1213", why: "check digit 3, should be 2"),
        // Correct Luhn, impossible date.
        // 641323 323: 3, 4, 2, 3, 4, 3, 6, 2, 6 → 33 → 7.
        .init(text: "641323-3237", why: "month 13"),
        // 640023 323: 3, 4, 0, 0, 4, 3, 6, 2, 6 → 28 → 2.
        .init(text: "640023-3232", why: "month 00"),
        // 640832 323: 3, 4, 0, 8, 6, 2, 6, 2, 6 → 37 → 3.
        .init(text: "640832-3233", why: "day 32"),
        // 640800 323: 3, 4, 0, 8, 0, 0, 6, 2, 6 → 29 → 1.
        .init(text: "640800-3231", why: "day 00"),
        // 640230 323: 3, 4, 0, 2, 6, 0, 6, 2, 6 → 29 → 1.
        .init(text: "640230-3231", why: "30 February"),
        // 641131 323: 3, 4, 2, 1, 6, 1, 6, 2, 6 → 31 → 9.
        .init(text: "641131-3239", why: "31 November"),
        // 640491 323: 3, 4, 0, 4, 9·2=18→9, 1, 6, 2, 6 → 35 → 5.
        .init(text: "640491-3235", why: "samordningsnummer 31 April (day 91)"),
        // 650229 123: 3, 5, 0, 2, 4, 9, 2, 2, 6 → 33 → 7; 1865, 1965, 2065 are not leap years.
        .init(text: "650229-1237", why: "29 February of a year not divisible by 4"),
        // Same Luhn as 000229-1235 (century not included), but 1900 was not a leap year.
        .init(text: "190002291235", why: "19000229 does not exist"),
        .init(text: "19000229-1235", why: "19000229 does not exist, -"),
        .init(text: "000229+1235", why: "+ means born 1800s/1900s; neither 1800 nor 1900 leap"),
        // 640892 323: 3, 4, 0, 8, 9·2=18→9, 2, 6, 2, 6 → 40 → 0.
        .init(text: "640892-3230", why: "samordningsnummer day 92 (32 + 60)"),
        // 640290 323: 3, 4, 0, 2, 9·2=18→9, 0, 6, 2, 6 → 32 → 8.
        .init(text: "640290-3238", why: "samordningsnummer 30 February (day 90)"),
        // 640860 323: 3, 4, 0, 8, 6·2=12→3, 0, 6, 2, 6 → 32 → 8.
        .init(text: "640860-3238", why: "day 60 (00 + 60)"),
        .init(text: "17640823-3234", why: "12 digits with century 17"),
        .init(text: "21640823-3234", why: "12 digits with century 21"),
        .init(text: "12640823-3234", why: "8 digits before the dash, century 12"),
        // Diarienummer.
        .init(text: "ASN 2021/0026", why: "diarienummer"),
        .init(text: "2021/ASN 0026", why: "diarienummer, year first"),
        .init(text: "Dnr 2021-0026", why: "diarienummer with a dash"),
        .init(text: "KS 2019/001234", why: "diarienummer, long serial"),
        // Phone numbers.
        .init(text: "08-123 456 78", why: "Stockholm phone number"),
        .init(text: "070-1234567", why: "mobile number with a dash"),
        .init(text: "+46 70 123 45 67", why: "international mobile number"),
        .init(text: "+46701234567", why: "11 digits after +"),
        // 070123 456: 0, 7, 0, 1, 4, 3, 8, 5, 6·2=12→3 → 31 → check 9, not 7.
        .init(text: "0701234567", why: "10-digit mobile number, check would be 9"),
        // Part of a longer digit run.
        .init(text: "12640823323456", why: "10-digit window inside 14 digits"),
        .init(text: "16408233234", why: "digit before a 10-digit number"),
        .init(text: "64082332341", why: "digit after a 10-digit number"),
        .init(text: "1640823-3234", why: "7 digits before the dash"),
        .init(text: "640823-32341", why: "5 digits after the dash"),
        .init(text: "00201701012393", why: "12-digit test number inside 14 digits"),
        .init(text: "2017010123931", why: "12-digit test number followed by a digit"),
        // Separators that are deliberately not recognised.
        .init(text: "640823 3234", why: "space separator (documented: not recognised)"),
        .init(text: "640823/3234", why: "slash separator"),
        .init(text: "640823.3234", why: "dot separator"),
        .init(text: "640823--3234", why: "two separators"),
        // (An en dash, and every other Unicode dash, is a `-`: PersonnummerUnicodeTests.)
        .init(text: "640823\u{2013}\u{2013}3234", why: "two en dashes"),
        .init(text: "640823\u{00A0}3234", why: "no-break space separator (a space)"),
        .init(text: "640823_3234", why: "underscore separator"),
    ]

    /// Sentences to embed a number in; `#` marks where it goes.
    static let sentenceTemplates: [String] = [
        "#",
        "Anmälan gäller # som vårdades på avdelning 4.",
        "pnr:#,",
        "(#)",
        "Brukaren, #\nNästa rad 2021-03-15.",
        "Född #",
        "# är född i Göteborg",
        "Tel 08-123 456 78, pnr #. Dnr ASN 2021/0026.",
    ]
}

private func embed(_ number: String, in template: String) -> String {
    template.split(separator: "#", omittingEmptySubsequences: false).joined(separator: number)
}

/// Scans `bytes` split into chunks at `cuts` (increasing offsets).
private func scanInChunks(_ bytes: [UInt8], cuts: [Int]) -> PersonnummerScanner {
    var scanner = PersonnummerScanner()
    var start = 0
    for cut in cuts + [bytes.count] {
        bytes[start..<cut].withUnsafeBytes { scanner.scan($0) }
        start = cut
    }
    scanner.finish()
    return scanner
}

@Suite struct PersonnummerTests {
    @Test func personnummerLuhnForSkatteverketExample() {
        // 640823 323 → 36 → (10 − 6) mod 10 = 4, giving 640823-3234.
        #expect(Personnummer.checkDigit(for: "640823323") == 4)
        #expect(Personnummer.checkDigit(for: "701063239") == 1)
        #expect(Personnummer.checkDigit(for: "900101980") == 2)
        #expect(Personnummer.checkDigit(for: "170101239") == 3)
        #expect(Personnummer.checkDigit(for: "121212121") == 2)
        // A sum that is already a multiple of 10 gives 0, not 10:
        // 640892 323 → 40 → (10 − 0) mod 10 = 0.
        #expect(Personnummer.checkDigit(for: "640892323") == 0)
        #expect(Personnummer.checkDigit(for: "64082332") == nil)
        #expect(Personnummer.checkDigit(for: "64082332a") == nil)
        #expect(Personnummer.checkDigit(for: "6408233234") == nil)
    }

    @Test(arguments: PersonnummerTests.validNumbers)
    func validPersonnummerIsDetected(_ number: ValidNumber) {
        #expect(Personnummer.isValid(number.text))
        #expect(Personnummer.kind(of: number.text) == number.kind)
        for template in Self.sentenceTemplates {
            let text = embed(number.text, in: template)
            #expect(Personnummer.containsPersonnummer(text), "\(text)")
            let found = Personnummer.matches(in: text)
            #expect(found.count == 1, "\(text)")
            if let match = found.first {
                #expect(String(text[match.range]) == number.text)
                #expect(match.kind == number.kind)
            }
            #expect(Personnummer.findAll(in: text) == found.map(\.range))
        }
    }

    @Test(arguments: PersonnummerTests.lookAlikes)
    func lookAlikeIsNotPersonnummer(_ lookAlike: LookAlike) {
        #expect(!Personnummer.isValid(lookAlike.text))
        #expect(Personnummer.kind(of: lookAlike.text) == nil)
        for template in Self.sentenceTemplates {
            let text = embed(lookAlike.text, in: template)
            #expect(!Personnummer.containsPersonnummer(text), "\(text)")
            #expect(Personnummer.findAll(in: text).isEmpty, "\(text)")
        }
    }

    @Test func personnummerIsValidWantsTheWholeString() {
        #expect(Personnummer.isValid("640823-3234"))
        #expect(!Personnummer.isValid(" 640823-3234"))
        #expect(!Personnummer.isValid("640823-3234 "))
        #expect(!Personnummer.isValid("x640823-3234"))
        #expect(!Personnummer.isValid("640823-3234 640823-3234"))
        #expect(!Personnummer.isValid(""))
        #expect(!Personnummer.isValid("-"))
    }

    @Test func personnummerFindAllReportsEveryNumberInOrder() {
        let text = "Först 640823-3234, sedan 701063-2391 och 201701012393; ej 640823-3235."
        let found = Personnummer.matches(in: text)
        #expect(found.map { String(text[$0.range]) } == ["640823-3234", "701063-2391", "201701012393"])
        #expect(found.map(\.kind) == [p, s, p])
        // Adjacent numbers separated only by punctuation.
        let adjacent = "640823-3234,6408233234/701063-2391"
        #expect(Personnummer.findAll(in: adjacent).count == 3)
        // A chain of groups: the second 121212 starts after a dash, so 121212-1212 is a number
        // (1912-12-12, check 2) even though more digit groups precede it.
        let chain = "121212-121212-1212"
        #expect(Personnummer.findAll(in: chain).map { String(chain[$0]) } == ["121212-1212"])
    }

    @Test func personnummerWithSpaceIsDeliberatelyNotDetected() {
        // Documented decision: only "-", "+" or no separator. Spaces would make ordinary
        // groups of digits (and phone numbers) look like personnummer.
        #expect(!Personnummer.containsPersonnummer("640823 3234"))
        #expect(!Personnummer.containsPersonnummer("19640823 3234"))
    }

    // MARK: - Streaming scanner

    @Test(arguments: PersonnummerTests.validNumbers)
    func personnummerScannerFindsNumberSplitAtEveryBoundary(_ number: ValidNumber) {
        for template in ["Anmälan gäller # som vårdades.", "Född #"] {
            let text = embed(number.text, in: template)
            let bytes = Array(text.utf8)
            let expectedOffset = Array(template.utf8).firstIndex(of: UInt8(ascii: "#"))
            // Every single cut, including inside the multi-byte "ä".
            for cut in 0...bytes.count {
                let scanner = scanInChunks(bytes, cuts: [cut])
                #expect(scanner.found, "\(text) cut at \(cut)")
                #expect(scanner.count == 1, "\(text) cut at \(cut)")
                #expect(scanner.firstOffset == expectedOffset)
            }
            // Every pair of cuts (three chunks, possibly empty ones).
            for first in 0...bytes.count {
                for second in first...bytes.count {
                    let scanner = scanInChunks(bytes, cuts: [first, second])
                    #expect(scanner.count == 1, "\(text) cut at \(first), \(second)")
                }
            }
            // One byte at a time.
            #expect(scanInChunks(bytes, cuts: Array(0...bytes.count)).count == 1)
        }
    }

    @Test(arguments: PersonnummerTests.lookAlikes)
    func personnummerScannerIgnoresLookAlikeAtEveryBoundary(_ lookAlike: LookAlike) {
        let bytes = Array(embed(lookAlike.text, in: "Ärende # här").utf8)
        for cut in 0...bytes.count {
            #expect(!scanInChunks(bytes, cuts: [cut]).found, "\(lookAlike.text) cut at \(cut)")
        }
        #expect(!scanInChunks(bytes, cuts: Array(0...bytes.count)).found)
    }

    @Test func personnummerScannerNeedsFinishForNumberAtEnd() {
        var scanner = PersonnummerScanner()
        scanner.scan(Array("Pnr 640823".utf8))
        scanner.scan(Array("-3234".utf8))
        #expect(!scanner.found)  // a digit may still follow
        scanner.finish()
        #expect(scanner.found)
        #expect(scanner.isFinished)
        scanner.finish()  // idempotent
        #expect(scanner.count == 1)

        var longer = PersonnummerScanner()
        longer.scan(Array("Pnr 640823-3234".utf8))
        longer.scan(Array("1".utf8))  // ...so it was not a personnummer
        longer.finish()
        #expect(!longer.found)
    }

    @Test func personnummerScannerOn64KiBChunks() {
        // A ~200 KiB document with a number straddling each 64 KiB boundary in turn.
        let chunkSize = 64 * 1024
        let filler = Array("Lorem ipsum, dnr ASN 2021/0026, tel 070-1234567. Åäö. ".utf8)
        let number = Array("19701063-2391".utf8)
        for shift in [1, 6, 8, 9, 12] {
            var doc: [UInt8] = []
            while doc.count < chunkSize - shift - 1 { doc.append(contentsOf: filler) }
            doc.removeLast(doc.count - (chunkSize - shift - 1))
            doc.append(UInt8(ascii: " "))
            let at = doc.count
            doc.append(contentsOf: number)
            doc.append(UInt8(ascii: " "))
            while doc.count < 3 * chunkSize + 100 { doc.append(contentsOf: filler) }

            var scanner = PersonnummerScanner()
            var start = 0
            while start < doc.count {
                let end = min(start + chunkSize, doc.count)
                doc[start..<end].withUnsafeBytes { scanner.scan($0) }
                start = end
            }
            scanner.finish()
            #expect(scanner.count == 1, "shift \(shift)")
            #expect(scanner.firstOffset == at)
            #expect(scanner.bytesScanned == doc.count)
        }
    }
}
