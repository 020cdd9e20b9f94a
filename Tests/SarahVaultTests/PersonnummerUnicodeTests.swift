import Foundation
import Testing

@testable import SarahVault

/// Issue 10, item 6: the guard reads Unicode text as a person would — a dash is a dash, a digit
/// is a digit whatever its script, and invisible characters are not there — and it reads
/// UTF-16 documents (with or without a byte-order mark) as text, cut into chunks anywhere.
@Suite struct PersonnummerUnicodeTests {
    /// One number written the way a word processor, a form or a copy from a web page writes it.
    struct Form: Sendable, CustomTestStringConvertible {
        var text: String
        var why: String
        var testDescription: String { why }
    }

    /// `640823-3234` (and, once, the 12-digit form) in every form the guard must see through.
    static let forms: [Form] = [
        Form(text: "640823\u{2013}3234", why: "en dash U+2013"),
        Form(text: "640823\u{2011}3234", why: "non-breaking hyphen U+2011"),
        Form(text: "640823\u{2212}3234", why: "minus sign U+2212"),
        Form(text: "640823\u{2010}3234", why: "hyphen U+2010"),
        Form(text: "640823\u{2014}3234", why: "em dash U+2014"),
        Form(text: "640823\u{FF0D}3234", why: "fullwidth hyphen-minus U+FF0D"),
        Form(text: "640823\u{FF0B}3234", why: "fullwidth plus sign U+FF0B"),
        Form(
            text: "\u{FF16}\u{FF14}\u{FF10}\u{FF18}\u{FF12}\u{FF13}-\u{FF13}\u{FF12}\u{FF13}\u{FF14}",
            why: "fullwidth digits"),
        Form(
            text: "\u{FF16}\u{FF14}\u{FF10}\u{FF18}\u{FF12}\u{FF13}\u{2011}\u{FF13}\u{FF12}\u{FF13}\u{FF14}",
            why: "fullwidth digits and a non-breaking hyphen"),
        Form(
            text: "\u{0666}\u{0664}\u{0660}\u{0668}\u{0662}\u{0663}-\u{0663}\u{0662}\u{0663}\u{0664}",
            why: "Arabic-Indic digits"),
        Form(
            text: "\u{06F6}\u{06F4}\u{06F0}\u{06F8}\u{06F2}\u{06F3}\u{06F3}\u{06F2}\u{06F3}\u{06F4}",
            why: "Extended Arabic-Indic digits, no separator"),
        Form(
            text: "\u{096C}\u{096A}\u{0966}\u{096E}\u{0968}\u{0969}-\u{0969}\u{0968}\u{0969}\u{096A}",
            why: "Devanagari digits"),
        Form(text: "19640823\u{2013}3234", why: "12 digits with an en dash"),
        Form(text: "640823\u{200B}3234", why: "zero-width space U+200B"),
        Form(text: "640823-\u{200B}3234", why: "zero-width space after the dash"),
        Form(text: "6408\u{200C}23-3234", why: "zero-width non-joiner U+200C"),
        Form(text: "640823-32\u{200D}34", why: "zero-width joiner U+200D"),
        Form(text: "640823\u{2060}-3234", why: "word joiner U+2060"),
        Form(text: "64\u{FEFF}0823-3234", why: "zero-width no-break space U+FEFF"),
        Form(text: "640823\u{00AD}3234", why: "soft hyphen U+00AD"),
        Form(text: "6408\u{00AD}23\u{2013}32\u{200B}34", why: "soft hyphen, en dash and zero-width space together"),
    ]

    /// Unicode look-alikes that must still pass: the folding must not make ordinary text look
    /// like a number.
    static let lookAlikes: [String] = [
        "640823\u{2013}3235",  // wrong check digit
        "640823\u{00A0}3234",  // a no-break space is a space: not a separator
        "640823\u{2003}3234",  // an em space, likewise
        "640823\u{2013}\u{2013}3234",  // two dashes
        "\u{FF10}\u{FF17}\u{FF10}\u{2011}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}\u{FF17}",  // a phone number
        "\u{FF12}\u{FF10}\u{FF12}\u{FF11}\u{2013}\u{FF10}\u{FF13}\u{2013}\u{FF11}\u{FF14}",  // a date
        "1\u{0666}\u{0664}\u{0660}\u{0668}\u{0662}\u{0663}\u{0663}\u{0662}\u{0663}\u{0664}5",  // inside a longer number
        "640823\u{2013}3234\u{FF15}",  // followed by a fullwidth digit: 5 digits after the dash
        "ASN 2021/0026 \u{2014} 2064\u{2013}0823",  // a diarienummer and a span of years
    ]

    @Test(arguments: forms)
    func everyFormIsFoundInText(_ form: Form) {
        #expect(Personnummer.isValid(form.text), "\(form.why)")
        for text in ["\(form.text)", "Brukaren \(form.text), född i Göteborg.", "pnr:\(form.text);"] {
            #expect(Personnummer.containsPersonnummer(text), "\(form.why): \(text.debugDescription)")
            let found = Personnummer.matches(in: text)
            #expect(found.count == 1, "\(form.why)")
            // The match covers the number as written, invisible characters inside included.
            if let m = found.first { #expect(text[m.range].unicodeScalars.elementsEqual(form.text.unicodeScalars)) }
        }
    }

    @Test(arguments: lookAlikes)
    func unicodeLookAlikesAreNotFound(_ text: String) {
        #expect(!Personnummer.containsPersonnummer(text), "\(text.debugDescription)")
        #expect(!Personnummer.containsPersonnummer("Ärende: \(text).\n"), "\(text.debugDescription)")
    }

    /// Every field the guard covers refuses every form (title, unit, member name and unit,
    /// document file names when archived and when added, roster lines, the diarienummer).
    @Test(arguments: RolesPersonnummerTests.Field.allCases)
    func everyFieldRefusesEveryForm(field: RolesPersonnummerTests.Field) throws {
        try withTemporaryDirectory { dir in
            let fx = try RolesPersonnummerTests.Fixture(dir)
            let before = try fx.counts()
            for form in Self.forms {
                let e = #expect(throws: VaultError.self, "\(field.rawValue): \(form.why) was stored") {
                    try fx.store(form.text, in: field)
                }
                #expect(e?.code == .invalidInput, "\(field.rawValue): \(form.why)")
                #expect(e.map { $0.message.contains("personnummer") } ?? false, "\(field.rawValue): \(form.why)")
                #expect(e.map { !$0.message.contains(form.text) } ?? true, "\(field.rawValue): the error repeats it")
            }
            #expect(try fx.counts() == before, "\(field.rawValue): something was stored")
        }
    }

    @Test func aSummaryRefusesEveryForm() throws {
        try withTemporaryDirectory { dir in
            let fx = try RolesPersonnummerTests.Fixture(dir)
            for form in Self.forms {
                let e = #expect(throws: VaultError.self, "\(form.why)") {
                    try fx.vault.writeSummary(
                        caseID: RolesPersonnummerTests.Fixture.caseID, text: "Fallet gäller \(form.text).")
                }
                #expect(e?.code == .invalidInput, "\(form.why)")
                #expect(e.map { $0.message.contains("personnummer") } ?? false, "\(form.why)")
            }
        }
    }

    // MARK: - UTF-8 and UTF-16 documents

    static let sentence = "Händelserapport för brukaren på avdelning Åsen.\nBerörd: #, som vårdades där.\n"

    enum Layout: String, CaseIterable, Sendable {
        case utf8, utf16LE, utf16BE, utf16LEWithBOM, utf16BEWithBOM

        func encode(_ text: String) -> [UInt8] {
            let units = Array(text.utf16)
            switch self {
            case .utf8: return Array(text.utf8)
            case .utf16LE: return units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            case .utf16BE: return units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            case .utf16LEWithBOM: return [0xFF, 0xFE] + Layout.utf16LE.encode(text)
            case .utf16BEWithBOM: return [0xFE, 0xFF] + Layout.utf16BE.encode(text)
            }
        }

        var encoding: PersonnummerScanner.Encoding {
            switch self {
            case .utf8: return .utf8
            case .utf16LE, .utf16LEWithBOM: return .utf16LittleEndian
            case .utf16BE, .utf16BEWithBOM: return .utf16BigEndian
            }
        }
    }

    @Test(arguments: Layout.allCases)
    func theEncodingOfATextDocumentIsRecognised(_ layout: Layout) {
        let bytes = layout.encode(Self.sentence.replacingOccurrences(of: "#", with: "ingen"))
        let got = bytes.withUnsafeBytes { PersonnummerScanner.textEncoding(of: $0) }
        #expect(got == layout.encoding)
    }

    @Test func binaryIsNotTakenForText() {
        var random = SystemRandomNumberGenerator()
        var noise = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        noise[10] = 0
        noise[11] = 0
        let pdf = Array("%PDF-1.7\n%\u{E2}\u{E3}\n1 0 obj\n<< /Length 5 >>\nstream\n".utf8) + [0, 1, 0, 0, 7, 0, 0, 3]
        let zip = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00] + noise
        let utf32 = [0xFF, 0xFE, 0x00, 0x00] + Array("6".utf8) + [0, 0, 0]
        // 16-bit audio near silence: small samples, high bytes 0x00 and 0xFF — NULs only at odd
        // offsets, as in UTF-16LE, but what they decode to is not text.
        let audio = (0..<20_000).flatMap { i -> [UInt8] in
            let r = Int16((i * 7919) % 22) - 11
            let s = r >= 0 ? r + 1 : r  // never 0: no NUL at even offsets
            return [UInt8(truncatingIfNeeded: s), UInt8(truncatingIfNeeded: s >> 8)]
        }
        for (what, bytes) in [("random", noise), ("pdf", pdf), ("zip", zip), ("utf-32", utf32), ("audio", audio)] {
            #expect(bytes.withUnsafeBytes { PersonnummerScanner.textEncoding(of: $0) } == nil, "\(what)")
        }
    }

    /// Each form, in each encoding, cut into two chunks at every byte (inside UTF-8 sequences,
    /// between the bytes of a code unit, …): found exactly once, at the offset where it starts.
    @Test(arguments: Layout.allCases)
    func aStreamFindsEveryFormCutAnywhere(_ layout: Layout) {
        for form in Self.forms + [Form(text: "12\u{1F600}640823-3234", why: "after an emoji (a surrogate pair)")] {
            let text = Self.sentence.replacingOccurrences(of: "#", with: form.text)
            let bytes = layout.encode(text)
            for cut in 0...bytes.count {
                var scanner = PersonnummerScanner(encoding: layout.encoding)
                bytes[0..<cut].withUnsafeBytes { scanner.scan($0) }
                bytes[cut...].withUnsafeBytes { scanner.scan($0) }
                scanner.finish()
                #expect(scanner.count == 1, "\(layout) \(form.why) cut at \(cut)")
                #expect(scanner.bytesScanned == bytes.count)
            }
        }
        // Look-alikes stay look-alikes in every encoding.
        for text in Self.lookAlikes {
            let bytes = layout.encode(Self.sentence.replacingOccurrences(of: "#", with: text))
            var scanner = PersonnummerScanner(encoding: layout.encoding)
            for b in bytes { scanner.scan(CollectionOfOne(b)) }
            scanner.finish()
            #expect(!scanner.found, "\(layout) \(text.debugDescription)")
        }
    }

    /// A UTF-16 or UTF-8 text document holding a number in any form is refused as content;
    /// the same document without the number is archived.
    @Test(arguments: Layout.allCases)
    func aTextDocumentInAnyEncodingIsScanned(_ layout: Layout) throws {
        try withTemporaryDirectory { dir in
            let fx = try RolesPersonnummerTests.Fixture(dir)
            let before = try fx.counts()
            let chosen = [
                "en dash U+2013", "non-breaking hyphen U+2011", "fullwidth digits", "zero-width space U+200B",
            ]
            for form in Self.forms.filter({ chosen.contains($0.why) }) + [Form(text: "640823-3234", why: "ASCII")] {
                let bytes = layout.encode(Self.sentence.replacingOccurrences(of: "#", with: form.text))
                let path = try dir.write("in-\(UUID().uuidString)/rapport.txt", bytes)
                let e = #expect(throws: VaultError.self, "\(layout) \(form.why) was archived") {
                    try fx.vault.add(caseID: RolesPersonnummerTests.Fixture.caseID, files: [path])
                }
                #expect(e?.code == .invalidInput, "\(layout) \(form.why)")
                #expect(e.map { $0.message.contains("personnummer") } ?? false)
            }
            #expect(try fx.counts() == before, "a refused document left something behind")
            let clean = layout.encode(Self.sentence.replacingOccurrences(of: "#", with: "640823\u{2013}3235"))
            let path = try dir.write("clean/rapport.txt", clean)
            let r = try fx.vault.add(caseID: RolesPersonnummerTests.Fixture.caseID, files: [path])
            #expect(r.documents.first?.size == Int64(clean.count))
        }
    }

    /// A number that straddles the 64 KiB chunk boundary of a UTF-16 document, wherever the cut
    /// falls in it, is found by the archive's streaming guard.
    @Test(arguments: [Layout.utf16LE, .utf16BEWithBOM])
    func aUTF16NumberAcrossTheChunkBoundaryIsRefused(_ layout: Layout) throws {
        try withTemporaryDirectory { dir in
            let fx = try RolesPersonnummerTests.Fixture(dir)
            let number = "19640823\u{2011}3234"
            let prefix = layout == .utf16BEWithBOM ? 2 : 0
            for unitsBefore in [1, 4, 8, 9, 12] {
                // The boundary at byte 65536 falls `unitsBefore` code units into the number.
                let fillerUnits = (65536 - prefix) / 2 - unitsBefore - 1
                let text =
                    String(repeating: "å", count: fillerUnits) + " " + number + " slut\n"
                    + String(repeating: "ö", count: 40_000)
                let bytes = layout.encode(text)
                #expect(bytes.count > 65536 + 40_000)
                let path = try dir.write("big-\(unitsBefore)/rapport.txt", bytes)
                let e = #expect(throws: VaultError.self, "\(layout): cut \(unitsBefore) units into the number") {
                    try fx.vault.add(caseID: RolesPersonnummerTests.Fixture.caseID, files: [path])
                }
                #expect(e?.code == .invalidInput)
            }
        }
    }

    /// Binary documents (NUL bytes at both parities) are not scanned, so their bytes are never
    /// mistaken for a number; one without a number is archived without the flag.
    @Test func aBinaryDocumentWithNULsIsArchived() throws {
        try withTemporaryDirectory { dir in
            let fx = try RolesPersonnummerTests.Fixture(dir)
            var random = SystemRandomNumberGenerator()
            var bytes = Array("%PDF-1.7\n".utf8)
            bytes += (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes += [0, 0, 1, 0, 0, 1]
            let path = try dir.write("scan/skanning.pdf", bytes)
            let r = try fx.vault.add(caseID: RolesPersonnummerTests.Fixture.caseID, files: [path])
            #expect(r.documents.first?.size == Int64(bytes.count))
            let out = dir.path("read-back")
            try fx.vault.read(caseID: RolesPersonnummerTests.Fixture.caseID, document: "skanning.pdf", to: .file(out))
            #expect(try readBytes(out) == bytes)
        }
    }
}
