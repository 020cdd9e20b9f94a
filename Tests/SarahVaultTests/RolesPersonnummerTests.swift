import Foundation
import Testing

@testable import SarahVault

/// Issue 3, acceptance 5: the personnummer guard in every stored field — diarienummer, title,
/// unit, member name, member unit, document file name, roster import line — rejects valid
/// personnummer and samordningsnummer in every form, and lets look-alikes through; text
/// documents with a personnummer need allowPersonnummer, which is logged.
///
/// Check digits were worked out by hand (Luhn over YYMMDDNNN; see PersonnummerTests.swift for
/// the working), not taken from the implementation.
@Suite struct RolesPersonnummerTests {
    /// Valid numbers: 10 and 12 digits; `-`, `+` and no separator; samordningsnummer (day + 60).
    static let valid: [String] = [
        "640823-3234", "6408233234", "196408233234", "19640823-3234",
        "640823+3234",  // born 1864: `+` for a hundred years or more
        "701063-2391", "7010632391", "19701063-2391", "197010632391", "701063+2391",  // samordningsnummer, day 63
        "189001019802", "201701012393", "170101-2393", "121212+1212",
    ]

    /// Look-alikes that must pass: a wrong check digit, impossible dates (with the Luhn digit
    /// that would otherwise be right), a samordningsnummer day that does not exist, phone numbers,
    /// diarienummer and dates.
    static let lookAlikes: [String] = [
        "640823-3235",  // check digit 5, should be 4
        "641323-3234",  // month 13
        "641323-3237",  // month 13, Luhn digit right
        "640832-3233",  // day 32, Luhn digit right
        "650229-1237",  // 29 February 1965, Luhn digit right
        "640892-3230",  // samordningsnummer day 92, Luhn digit right
        "701063-2392",  // samordningsnummer, check digit 2, should be 1
        "070-1234567", "0701234567", "08-123 456 78",  // phone numbers
        "ASN 2021/0026", "2021/ASN 0026",  // diarienummer
        "2021-03-14",  // a date
    ]

    enum Field: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case diarienummer, title, unit
        case memberName = "member name"
        case memberUnit = "member unit"
        case documentName = "document file name"
        case addedDocumentName = "document file name (add)"
        case rosterName = "roster import line (name)"
        case rosterUnit = "roster import line (unit)"
        var testDescription: String { rawValue }
    }

    /// An officer's vault with one case (`caseID`) to add documents to.
    final class Fixture {
        static let caseID = "ASN 2023/0001"
        let dir: TemporaryDirectory
        let path: String
        let officer: Identity
        let vault: Vault
        var serial = 100

        init(_ dir: TemporaryDirectory) throws {
            self.dir = dir
            path = dir.path("vault.sarah")
            officer = try Identity.generate(name: "Olle Sarahansvarig")
            vault = try Vault.create(at: path, identity: officer)
            let f = try dir.write("in/forsta.txt", Array("Första rapporten.\n".utf8))
            _ = try vault.archive(
                files: [f], diarienummer: Self.caseID, unit: "Enhet Ek", received: "2023-01-02", title: "Första",
                kind: .report)
        }

        func nextCaseID() -> String {
            serial += 1
            return "ASN 2023/\(serial)"
        }

        func file(_ name: String, _ text: String = "Rapport utan personuppgifter.\n") throws -> String {
            try dir.write("f-\(UUID().uuidString)/\(name)", Array(text.utf8))
        }

        /// Counts of everything a stored field could land in.
        func counts() throws -> [Int64] {
            let db = try SQLiteDatabase(path: path, create: false, readOnly: true)
            return try ["cases", "members", "versions", "documents"].map {
                try db.firstRow("SELECT count(*) FROM \($0)")?.first?.int ?? -1
            }
        }

        /// Puts `text` in `field` and stores it; returns what reading it back gives.
        @discardableResult
        func store(_ text: String, in field: Field) throws -> String? {
            switch field {
            case .diarienummer:
                let r = try vault.archive(
                    files: [try file("a.txt")], diarienummer: text, unit: "Enhet Ek", received: "2023-02-03", title: nil
                )
                return try vault.show(caseID: r.case).case
            case .title:
                let id = nextCaseID()
                _ = try vault.archive(
                    files: [try file("a.txt")], diarienummer: id, unit: "Enhet Ek", received: "2023-02-03",
                    title: "Ärende \(text)")
                return try vault.show(caseID: id).title
            case .unit:
                let id = nextCaseID()
                _ = try vault.archive(
                    files: [try file("a.txt")], diarienummer: id, unit: "Enhet \(text)", received: "2023-02-03",
                    title: nil)
                return try vault.show(caseID: id).unit
            case .memberName, .memberUnit:
                let p = try Identity.generate(name: "Ny")
                try vault.addMember(
                    name: field == .memberName ? "Anna \(text)" : "Anna", role: .unitManager,
                    unit: field == .memberUnit ? "Enhet \(text)" : "Enhet Ek", publicKey: p.publicKey)
                let m = try vault.members().first { $0.keyID == p.keyID }
                return field == .memberName ? m?.name : m?.unit
            case .documentName:
                let id = nextCaseID()
                _ = try vault.archive(
                    files: [try file("bilaga \(text).txt")], diarienummer: id, unit: "Enhet Ek", received: "2023-02-03",
                    title: nil)
                return try vault.show(caseID: id).documents.first?.name
            case .addedDocumentName:
                let r = try vault.add(caseID: Self.caseID, files: [try file("bilaga \(text).txt")])
                return try vault.show(caseID: Self.caseID).documents.first { $0.id == r.documents.first?.id }?.name
            case .rosterName, .rosterUnit:
                // A good line first: the import is all or nothing.
                let good = try Identity.generate(name: "Bra")
                let p = try Identity.generate(name: "Ny")
                let line =
                    field == .rosterName
                    ? "Anna \(text) | investigator | - | \(p.publicKey.token)"
                    : "Anna | unit-manager | Enhet \(text) | \(p.publicKey.token)"
                try vault.importRoster("# personal\nBo Bra | registrar | - | \(good.publicKey.token)\n\(line)\n")
                let m = try vault.members().first { $0.keyID == p.keyID }
                return field == .rosterName ? m?.name : m?.unit
            }
        }

        /// What `store` should read back for an accepted `text`.
        func expected(_ text: String, in field: Field) -> String {
            switch field {
            case .diarienummer: return text
            case .title: return "Ärende \(text)"
            case .unit, .memberUnit, .rosterUnit: return "Enhet \(text)"
            case .memberName, .rosterName: return "Anna \(text)"
            case .documentName, .addedDocumentName: return "bilaga \(text).txt"
            }
        }
    }

    @Test(arguments: Field.allCases)
    func everyValidNumberIsRejected(field: Field) throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let before = try fx.counts()
            for n in Self.valid {
                let forms = field == .diarienummer ? [n, "ASN \(n)", "\(n)/ASN 1"] : [n]
                for text in forms {
                    let e = #expect(throws: VaultError.self, "\(field.rawValue): \(text) was stored") {
                        try fx.store(text, in: field)
                    }
                    #expect(e?.code == .invalidInput, "\(field.rawValue): \(text): \(e?.code.description ?? "")")
                    // (The diarienummer's message is checked in aPersonnummerGivenAsDiarienummerIsNotEchoed.)
                    if field != .diarienummer {
                        #expect(e.map { !$0.message.contains(n) } ?? true, "\(field.rawValue): the error repeats \(n)")
                        #expect(
                            e.map { $0.message.contains("personnummer") } ?? false,
                            "\(field.rawValue): \(e?.message ?? "")")
                    }
                }
            }
            #expect(try fx.counts() == before, "\(field.rawValue): something was stored")
            let bytes = try readBytes(fx.path)
            for n in Self.valid { #expect(!contains(bytes, Array(n.utf8)), "\(n) reached the vault file") }
        }
    }

    /// The messages say what was wrong. For the diarienummer, a personnummer typed in its place
    /// must not come back in the error (VaultError: messages never carry a personnummer) — the
    /// CLI prints that message on stderr, into terminals and logs.
    @Test
    func aPersonnummerGivenAsDiarienummerIsNotEchoed() throws {
        for n in Self.valid {
            let e = #expect(throws: VaultError.self) { try Diarienummer.validate(n) }
            #expect(e.map { !$0.message.contains(n) } ?? false, "the error repeats \(n): \(e?.message ?? "")")
            #expect(e.map { $0.message.contains("personnummer") } ?? false, "\(e?.message ?? "")")
        }
    }

    @Test(arguments: Field.allCases)
    func lookAlikesAreAccepted(field: Field) throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let texts =
                field == .diarienummer
                ? ["ASN 2021/0026", "2021/ASN 0026", "KS 2019/001234", "SN-2020/640823", "ASN 2064/0823"]
                : Self.lookAlikes.filter { field != .documentName && field != .addedDocumentName || !$0.contains("/") }
            for text in texts {
                var got: String?
                #expect(throws: Never.self, "\(field.rawValue): \(text) was rejected") {
                    got = try fx.store(text, in: field)
                }
                #expect(got == fx.expected(text, in: field), "\(field.rawValue): \(text) read back as \(got ?? "nil")")
            }
        }
    }

    @Test func everyFieldIsCovered() {
        // The issue lists: registry fields, titles and the CLI arguments stored in any form.
        #expect(
            Set(Field.allCases.map(\.rawValue)).isSuperset(of: [
                "diarienummer", "title", "unit", "member name", "member unit", "document file name",
                "roster import line (name)", "roster import line (unit)",
            ]))
    }

    // MARK: text documents

    /// A text document holding a valid number is refused without allowPersonnummer (nothing
    /// stored: no case, no version) and accepted with it.
    @Test(arguments: valid)
    func aTextDocumentWithAPersonnummerNeedsTheFlag(number: String) throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let text = "Händelserapport.\nBerörd brukare: \(number), boende på avdelning 3.\n"
            let before = try fx.counts()
            let entriesBefore = try rolesAuditEntries(fx.path).count

            // A new case…
            let id = fx.nextCaseID()
            let e1 = #expect(throws: VaultError.self) {
                try fx.vault.archive(
                    files: [try fx.file("rapport.txt", text)], diarienummer: id, unit: "Enhet Ek",
                    received: "2023-03-01", title: nil)
            }
            #expect(e1?.code == .invalidInput)
            #expect(e1.map { $0.message.contains("personnummer") && !$0.message.contains(number) } ?? false)
            // …and a document added to an existing one.
            let e2 = #expect(throws: VaultError.self) {
                try fx.vault.add(caseID: Fixture.caseID, files: [try fx.file("tillagg.txt", text)])
            }
            #expect(e2?.code == .invalidInput)
            #expect(try fx.counts() == before, "a refused document left something behind")
            #expect(try fx.vault.cases().count == 1)
            #expect(!(try rolesAuditEntries(fx.path).dropFirst(entriesBefore).contains { $0.action == "document.add" }))

            // With the flag: stored and readable.
            _ = try fx.vault.archive(
                files: [try fx.file("rapport.txt", text)], diarienummer: id, unit: "Enhet Ek", received: "2023-03-01",
                title: nil, allowPersonnummer: true)
            let out = dir.path("out-read")
            try fx.vault.read(caseID: id, to: .file(out))
            #expect(try readBytes(out) == Array(text.utf8))
            _ = try fx.vault.add(
                caseID: Fixture.caseID, files: [try fx.file("tillagg.txt", text)], allowPersonnummer: true)
            #expect(
                try fx.counts()[2] == before[2] + 3, "the new case (record + document) and the added version are stored"
            )
            #expect(try fx.vault.verify().ok)
        }
    }

    /// The allowance is logged: the signed `document.add` entry of a document that holds a
    /// personnummer and was archived (or added) with allowPersonnummer says "personnummer-allowed".
    @Test(arguments: ["640823-3234", "701063+2391", "201701012393"])
    func anAllowedPersonnummerIsLogged(number: String) throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let text = "Händelserapport.\nBerörd brukare: \(number), boende på avdelning 3.\n"
            let id = fx.nextCaseID()
            let r = try fx.vault.archive(
                files: [try fx.file("rapport.txt", text)], diarienummer: id, unit: "Enhet Ek", received: "2023-03-01",
                title: nil, allowPersonnummer: true)
            let write = try #require(
                try rolesAuditEntries(fx.path).last {
                    $0.action == "document.add" && $0.caseID == id && $0.document == r.documents.first?.id
                })
            #expect(write.detail.contains("personnummer-allowed"), "\(write.detail)")
            #expect(write.result == .granted)

            let added = try fx.vault.add(
                caseID: Fixture.caseID, files: [try fx.file("tillagg.txt", text)], allowPersonnummer: true)
            let addEntry = try #require(
                try rolesAuditEntries(fx.path).last {
                    $0.action == "document.add" && $0.caseID == Fixture.caseID
                        && $0.document == added.documents.first?.id
                })
            #expect(addEntry.detail.contains("personnummer-allowed"), "\(addEntry.detail)")
        }
    }

    /// Look-alikes in a text document need no flag, and the entry does not claim an allowance.
    @Test func aTextDocumentWithOnlyLookAlikesIsArchivedWithoutTheFlag() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let text = Self.lookAlikes.map { "Uppgift: \($0).\n" }.joined()
            let id = fx.nextCaseID()
            _ = try fx.vault.archive(
                files: [try fx.file("rapport.txt", text)], diarienummer: id, unit: "Enhet Ek", received: "2023-03-01",
                title: nil)
            let write = try #require(
                try rolesAuditEntries(fx.path).last { $0.action == "document.add" && $0.caseID == id })
            #expect(!write.detail.contains("personnummer"), "\(write.detail)")
            // Even allowed, a document without a number is not marked.
            let other = fx.nextCaseID()
            _ = try fx.vault.archive(
                files: [try fx.file("rapport.txt", text)], diarienummer: other, unit: "Enhet Ek",
                received: "2023-03-01",
                title: nil, allowPersonnummer: true)
            let w2 = try #require(
                try rolesAuditEntries(fx.path).last { $0.action == "document.add" && $0.caseID == other })
            #expect(!w2.detail.contains("personnummer-allowed"), "\(w2.detail)")
        }
    }

    /// A number straddling the 64 KiB chunk boundary, deep in a large text document, is found.
    @Test func aNumberAcrossAChunkBoundaryIsFound() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            var bytes = Array(repeating: UInt8(ascii: "x"), count: 65536 - 5) + [UInt8(ascii: " ")]
            bytes += Array("19701063-2391 slut\n".utf8)
            bytes += Array(repeating: UInt8(ascii: "y"), count: 70_000)
            let path = try dir.write("big/rapport.txt", bytes)
            let before = try fx.counts()
            let e = #expect(throws: VaultError.self) {
                try fx.vault.add(caseID: Fixture.caseID, files: [path])
            }
            #expect(e?.code == .invalidInput)
            #expect(try fx.counts() == before)
        }
    }
}
