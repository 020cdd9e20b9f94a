import Foundation
import Testing

@testable import SarahVault

/// Issue 10, item 5: document names that broke checkouts or terminals. Names over 200 bytes
/// and names with control or bidi characters are refused where they enter; names two
/// documents share (normal: the registrar cannot see the names already there) and names an
/// older vault stored before the limits still give checkouts that open; nothing from a name,
/// title or unit reaches the terminal raw.
@Suite struct DocumentNameTests {
    static let caseID = "ASN 2024/0100"

    /// An officer's vault with one case (document 1, `rapport.txt`) and an enrolled registrar.
    final class Fixture {
        let dir: TemporaryDirectory
        let path: String
        let officer: Identity
        let vault: Vault
        let registrar: Vault

        init(_ dir: TemporaryDirectory) throws {
            self.dir = dir
            path = dir.path("vault.sarah")
            officer = try Identity.generate(name: "Olle Sarahansvarig")
            vault = try Vault.create(at: path, identity: officer)
            let r = try Identity.generate(name: "Rut Registrator")
            _ = try vault.addMember(name: "Rut Registrator", role: .registrar, unit: nil, publicKey: r.publicKey)
            registrar = try Vault.open(at: path, identity: r)
            _ = try vault.archive(
                files: [try file("rapport.txt", "Första rapporten.\n")], diarienummer: DocumentNameTests.caseID,
                unit: "Enhet Ek", received: "2024-01-02", title: "Fallolycka")
        }

        func file(_ name: String, _ text: String) throws -> String {
            try dir.write("in-\(UUID().uuidString)/\(name)", Array(text.utf8))
        }

        /// Checks the whole case out and opens the package into a fresh directory: the files
        /// written there, by name, with their contents.
        func checkoutAndOpen(documents: [String] = []) throws -> (CheckoutManifest, [String: String]) {
            let package = dir.path("pkg-\(UUID().uuidString)")
            _ = try vault.checkout(caseID: DocumentNameTests.caseID, documents: documents, to: package)
            let out = dir.path("open-\(UUID().uuidString)")
            let m = try Vault.openPackage(at: package, identity: officer, into: out)
            var files: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: out) {
                files[name] = String(decoding: try readBytes(out + "/" + name), as: UTF8.self)
            }
            return (m, files)
        }

        /// Writes a document the way the vault did before names were checked (any name up to
        /// 255 bytes, control characters and all): an older vault's contents.
        func legacyAdd(name: String, text: String) throws -> Int64 {
            guard let c = try vault.store.caseRecord(DocumentNameTests.caseID) else { throw TestFailure("no case") }
            let writer = DocumentWriter(
                store: vault.store, vaultID: vault.vaultID, log: vault.log, digest: vault.format.chunkDigest)
            return try vault.store.writeTransaction { () throws(VaultError) -> Int64 in
                let doc = (try vault.store.documents(caseID: c.id).map(\.number).max() ?? 0) + 1
                try vault.store.insertDocument(StoredDocument(caseID: c.id, number: doc, kind: "other"))
                _ = try writer.write(
                    caseID: c.id, casePublicKey: c.publicKey, document: doc, version: 1, kind: "other", name: name,
                    source: BytesSource(Array(text.utf8)), by: vault.identity, role: vault.myRole)
                return doc
            }
        }
    }

    // MARK: - Length

    @Test func aNameOver200BytesIsRefusedWhereverItEnters() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let long = String(repeating: "a", count: 197) + ".txt"  // 201 bytes
            let before = try readBytes(fx.path)
            let archiving = #expect(throws: VaultError.self) {
                try fx.vault.archive(
                    files: [try fx.file(long, "x")], diarienummer: "ASN 2024/0101", unit: "Enhet Ek",
                    received: "2024-01-03", title: nil)
            }
            let adding = #expect(throws: VaultError.self) {
                try fx.registrar.add(caseID: Self.caseID, files: [try fx.file(long, "x")])
            }
            for e in [archiving, adding] {
                #expect(e?.code == .invalidInput)
                #expect(e.map { $0.message.contains("201 bytes") && $0.message.contains("at most 200") } ?? false)
            }
            #expect(try readBytes(fx.path) == before, "a refused name changed the vault")
        }
    }

    /// The longest name accepted checks out and opens: its `.NAME.partial-XXXXXXXX` fits.
    @Test func aNameOf200BytesChecksOutAndOpens() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let name = String(repeating: "ö", count: 98) + ".txt"  // 196 + 4 = 200 bytes
            #expect(name.utf8.count == DocumentName.maxBytes)
            _ = try fx.registrar.add(caseID: Self.caseID, files: [try fx.file(name, "lång\n")])
            let (_, files) = try fx.checkoutAndOpen()
            #expect(files[name] == "lång\n")
            #expect(files.count == 2)
        }
    }

    /// An older vault holds a 255-byte name: the checkout opens and writes it cut, at a
    /// character boundary, with its extension, under NAME_MAX with its temporary.
    @Test func anOverlongNameFromAnOlderVaultStillChecksOut() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let ascii = String(repeating: "x", count: 251) + ".txt"
            let swedish = String(repeating: "å", count: 125) + ".pdf"  // 254 bytes
            _ = try fx.legacyAdd(name: ascii, text: "ett\n")
            _ = try fx.legacyAdd(name: swedish, text: "två\n")
            let (m, files) = try fx.checkoutAndOpen()
            #expect(m.documents.map(\.name).contains(ascii), "the manifest keeps the stored name")
            #expect(files.count == 3)
            for (name, text) in files where name != "rapport.txt" {
                #expect(name.utf8.count <= DocumentName.maxFileBytes, "\(name.utf8.count) bytes")
                #expect(name.utf8.count + 18 <= 255)
                #expect(text == (name.hasSuffix(".txt") ? "ett\n" : "två\n"), "\(name)")
                #expect(name.hasPrefix(name.hasSuffix(".txt") ? "xxxx" : "åååå"))
            }
            #expect(Set(Vault.checkoutFileNames(m)) == Set(files.keys))
        }
    }

    // MARK: - Duplicates

    /// The registrar files documents of a name the case already has, and one literally named
    /// like a renamed duplicate; the full checkout opens with every document under its own
    /// name, and a check-in of a renamed file comes back as the document it came from.
    @Test func documentsOfOneNameCheckOutUnderUniqueNames() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            _ = try fx.registrar.add(caseID: Self.caseID, files: [try fx.file("rapport.txt", "andra\n")])  // 2
            _ = try fx.registrar.add(caseID: Self.caseID, files: [try fx.file("rapport (2).txt", "tredje\n")])  // 3
            _ = try fx.registrar.add(caseID: Self.caseID, files: [try fx.file("Rapport.txt", "fjärde\n")])  // 4
            let shown = try fx.vault.show(caseID: Self.caseID).documents
            #expect(shown.map(\.name) == ["rapport.txt", "rapport.txt", "rapport (2).txt", "Rapport.txt"])

            let (m, files) = try fx.checkoutAndOpen()
            #expect(m.documents.map(\.doc) == [1, 2, 3, 4])
            // The first keeps its name; the second skips "rapport (2).txt", which document 3 is
            // really called; "Rapport.txt" differs only in case (one file on macOS).
            #expect(
                Vault.checkoutFileNames(m) == ["rapport.txt", "rapport (3).txt", "rapport (2).txt", "Rapport (4).txt"])
            #expect(
                files == [
                    "rapport.txt": "Första rapporten.\n", "rapport (3).txt": "andra\n", "rapport (2).txt": "tredje\n",
                    "Rapport (4).txt": "fjärde\n",
                ])

            // Picking by the shared name takes both.
            let (picked, pickedFiles) = try fx.checkoutAndOpen(documents: ["rapport.txt"])
            #expect(picked.documents.map(\.doc) == [1, 2])
            #expect(Set(pickedFiles.keys) == ["rapport.txt", "rapport (2).txt"])

            // Reading by a shared name asks which; by number it reads.
            let e = #expect(throws: VaultError.self) {
                try fx.vault.read(caseID: Self.caseID, document: "rapport.txt", to: .file(dir.path("r1")))
            }
            #expect(e?.code == .invalidInput)
            #expect(e.map { $0.message.contains("2 documents by that name") } ?? false)
            try fx.vault.read(caseID: Self.caseID, document: "2", to: .file(dir.path("r2")))
            #expect(try readBytes(dir.path("r2")) == Array("andra\n".utf8))
        }
    }

    @Test func aRenamedFileComesBackAsItsDocument() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            _ = try fx.registrar.add(caseID: Self.caseID, files: [try fx.file("rapport.txt", "andra\n")])
            let package = dir.path("case.pkg")
            let m = try fx.vault.checkout(caseID: Self.caseID, to: package)
            #expect(Vault.checkoutFileNames(m) == ["rapport.txt", "rapport (2).txt"])
            let edited = try fx.file("rapport (2).txt", "andra, ändrad\n")
            let r = try fx.vault.checkin(package: package, files: [edited])
            #expect(r.documents.map(\.id) == [2])
            #expect(r.documents.map(\.version) == [2])
            // The document now has that name; the names are no longer shared.
            let shown = try fx.vault.show(caseID: Self.caseID).documents
            #expect(shown.map(\.name) == ["rapport.txt", "rapport (2).txt"])
            #expect(try fx.vault.verify().ok)
        }
    }

    /// With the case key, `add` reads a shared name as the first document and `NAME (2).EXT`
    /// as the second — the next version of each, never a version number past the end.
    @Test func addByAKeyHolderMatchesSharedNamesOneToOne() throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            _ = try fx.vault.add(caseID: Self.caseID, files: [try fx.file("rapport.txt", "v2\n")])  // doc 1 v2
            _ = try fx.registrar.add(caseID: Self.caseID, files: [try fx.file("rapport.txt", "annan\n")])  // doc 2
            let first = try fx.vault.add(caseID: Self.caseID, files: [try fx.file("rapport.txt", "v3\n")])
            #expect(first.documents.map(\.id) == [1])
            #expect(first.documents.map(\.version) == [3])
            let second = try fx.vault.add(caseID: Self.caseID, files: [try fx.file("rapport (2).txt", "annan v2\n")])
            #expect(second.documents.map(\.id) == [2])
            #expect(second.documents.map(\.version) == [2])
            #expect(try fx.vault.verify().ok)
        }
    }

    // MARK: - Control characters

    static let hostileNames: [String] = [
        "rapport\u{1B}[2K.txt", "rad\nbrytning.txt", "flik\t.txt", "csi\u{9B}31m.txt", "del\u{7F}.txt",
        "omvänd\u{202E}txt.exe", "isolat\u{2066}.txt", "rad\u{2028}separator.txt",
    ]

    @Test(arguments: hostileNames)
    func aNameWithControlCharactersIsRefused(_ name: String) throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            let before = try readBytes(fx.path)
            let e = #expect(throws: VaultError.self) {
                try fx.registrar.add(caseID: Self.caseID, files: [try fx.file(name, "x")])
            }
            #expect(e?.code == .invalidInput)
            #expect(e.map { $0.message.contains("must not") } ?? false)
            #expect(
                e.map { !$0.message.unicodeScalars.contains(where: TerminalText.needsEscape) } ?? false,
                "the error repeats the control character")
            #expect(try readBytes(fx.path) == before)
        }
    }

    @Test(arguments: ["\u{1B}[31mröd", "csi\u{9B}2J", "omvänd\u{202E}", "rad\u{2029}ny"])
    func titlesAndUnitsWithControlCharactersAreRefused(_ text: String) throws {
        try withTemporaryDirectory { dir in
            let fx = try Fixture(dir)
            for (title, unit) in [(text, "Enhet Ek"), ("Titel", text)] {
                let e = #expect(throws: VaultError.self) {
                    try fx.vault.archive(
                        files: [try fx.file("a.txt", "x")], diarienummer: "ASN 2024/0102", unit: unit,
                        received: "2024-01-03", title: title)
                }
                #expect(e?.code == .invalidInput)
            }
        }
    }

    @Test func escapingShowsWhatIsThereAndLeavesTextAlone() {
        #expect(TerminalText.escaped("Rapport om fallolycka – Åsa.txt") == "Rapport om fallolycka – Åsa.txt")
        #expect(TerminalText.escaped("a\u{1B}[2Kb\nc") == "a\\u{1B}[2Kb\\u{A}c")
        #expect(TerminalText.escaped("x\u{202E}y\u{9B}z\u{200B}") == "x\\u{202E}y\\u{9B}z\\u{200B}")
    }

    /// An older vault holds a document named with escape sequences that would rewrite the
    /// "keys held by" line: `show`, `checkout` and `open` print it escaped, never raw.
    @Test func theCommandLineNeverPrintsControlCharactersFromAName() throws {
        try withTemporaryDirectory { dir in
            let world = try HostileWorld(dir)
            let identity = try Identity.load(from: world.identity, passphrase: try passphrase(Hostile.passphrase))
            let vault = try Vault.open(at: world.vault, identity: identity)
            guard let c = try vault.store.caseRecord(HostileWorld.caseID) else { throw TestFailure("no case") }
            let forged = "x\u{1B}[1A\u{1B}[2K\rkeys held by nobody\n\u{9B}2J\u{202E}txt.exe"
            let writer = DocumentWriter(
                store: vault.store, vaultID: vault.vaultID, log: vault.log, digest: vault.format.chunkDigest)
            try vault.store.writeTransaction { () throws(VaultError) in
                try vault.store.insertDocument(StoredDocument(caseID: c.id, number: 2, kind: "other"))
                _ = try writer.write(
                    caseID: c.id, casePublicKey: c.publicKey, document: 2, version: 1, kind: "other", name: forged,
                    source: BytesSource(Array("innehåll\n".utf8)), by: identity, role: vault.myRole)
            }
            let show = try world.run(["show", HostileWorld.caseID])
            #expect(show.status == 0, "\(show)")
            let out = String(decoding: show.stdout, as: UTF8.self)
            #expect(
                !out.unicodeScalars.contains { TerminalText.needsEscape($0) && $0 != "\n" }, "\(out.debugDescription)")
            #expect(out.contains("x\\u{1B}[1A\\u{1B}[2K\\u{D}keys held by nobody\\u{A}\\u{9B}2J\\u{202E}txt.exe"))
            #expect(out.split(separator: "\n").filter { $0.hasPrefix("keys held by") }.count == 1)

            let package = dir.path("forged.pkg")
            let checkout = try world.run(["checkout", HostileWorld.caseID, "--out", package])
            #expect(checkout.status == 0, "\(checkout)")
            let opened = try world.run(["open", package, "--out", dir.path("opened")])
            #expect(opened.status == 0, "\(opened)")
            let listing = String(decoding: opened.stdout, as: UTF8.self)
            #expect(!listing.unicodeScalars.contains { TerminalText.needsEscape($0) && $0 != "\n" })
            let written = try FileManager.default.contentsOfDirectory(atPath: dir.path("opened"))
            #expect(written.count == 2)
            #expect(!written.joined().unicodeScalars.contains(where: TerminalText.needsEscape))
        }
    }
}
