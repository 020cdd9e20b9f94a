import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - Temporary directories

/// A fresh, private directory for one test (GRDB's `GRDBTestCase` pattern): every test gets its
/// own and removes it when it is done.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/sarahvault-test-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
        path = String(cString: made)
    }

    func path(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` (creating intermediate directories) and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = path(name)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw TestFailure("cannot write \(full)")
        }
        return full
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// The names in the directory (not recursive).
    func listing() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? []
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` with a fresh temporary directory and removes it afterwards, however `body` ends.
func withTemporaryDirectory<R>(_ body: (TemporaryDirectory) throws -> R) throws -> R {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    return try body(dir)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Small helpers

func passphrase(_ text: String) throws -> Passphrase {
    var bytes = Array(text.utf8)
    return try Passphrase(bytes: &bytes)
}

func readBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
    return [UInt8](data)
}

/// Whether `needle` occurs anywhere in `haystack` (a plain byte search).
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    let first = needle[0]
    var i = 0
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { return true }
        i += 1
    }
    return false
}

func fileMode(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode & 0o777
}

// MARK: - Raw access to a vault file, as an attacker with sqlite3 has it

/// A second connection straight to the vault's SQLite file, for tampering the way someone with
/// `sqlite3` and the file could. It bypasses the library entirely.
final class RawVault {
    let db: SQLiteDatabase

    init(path: String) throws {
        db = try SQLiteDatabase(path: path, create: false)
    }

    /// The append-only triggers are no obstacle to someone holding the file.
    func dropAuditTriggers() throws {
        try db.execute(
            "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; DROP TRIGGER IF EXISTS audit_no_replace;"
        )
    }

    func vid(caseID: String, document: Int64, version: Int64) throws -> Int64 {
        let row = try db.firstRow(
            "SELECT vid FROM versions WHERE case_id = ? AND doc = ? AND version = ?",
            [.text(caseID), .integer(document), .integer(version)])
        guard let vid = row?.first?.int else {
            throw TestFailure("no version \(caseID) doc \(document) v\(version)")
        }
        return vid
    }

    func chunkCount(vid: Int64) throws -> Int64 {
        try db.firstRow("SELECT count(*) FROM chunks WHERE vid = ?", [.integer(vid)])?.first?.int ?? 0
    }

    func chunk(vid: Int64, index: Int64) throws -> [UInt8] {
        guard
            let data = try db.firstRow(
                "SELECT data FROM chunks WHERE vid = ? AND idx = ?", [.integer(vid), .integer(index)])?.first?.bytes
        else { throw TestFailure("no chunk \(index) of version row \(vid)") }
        return data
    }

    func setChunk(vid: Int64, index: Int64, _ data: [UInt8]) throws {
        try db.run(
            "UPDATE chunks SET data = ? WHERE vid = ? AND idx = ?", [.blob(data), .integer(vid), .integer(index)])
        #expect(db.changes == 1)
    }

    func flipChunkByte(vid: Int64, index: Int64, at offset: Int? = nil) throws {
        var data = try chunk(vid: vid, index: index)
        data[offset ?? data.count / 2] ^= 0x01
        try setChunk(vid: vid, index: index, data)
    }

    func auditCount() throws -> Int64 {
        try db.firstRow("SELECT count(*) FROM audit")?.first?.int ?? 0
    }

    func auditEntry(seq: Int64) throws -> [UInt8] {
        guard let b = try db.firstRow("SELECT entry FROM audit WHERE seq = ?", [.integer(seq)])?.first?.bytes else {
            throw TestFailure("no audit entry \(seq)")
        }
        return b
    }

    func setAuditEntry(seq: Int64, _ bytes: [UInt8]) throws {
        try db.run("UPDATE audit SET entry = ? WHERE seq = ?", [.blob(bytes), .integer(seq)])
        #expect(db.changes == 1)
    }

    func memberEntrySeq(keyID: String) throws -> Int64 {
        guard let s = try db.firstRow("SELECT entry_seq FROM members WHERE key_id = ?", [.text(keyID)])?.first?.int
        else { throw TestFailure("no member \(keyID)") }
        return s
    }

    func caseKeyHolders(caseID: String) throws -> [String] {
        try db.rows("SELECT key_id FROM case_keys WHERE case_id = ? ORDER BY key_id", [.text(caseID)])
            .compactMap { $0.first?.string }
    }
}

// MARK: - The story

/// The people of the story, as the access table names them.
enum StoryPerson: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case officer, registrar, investigator
    case managerA = "unit-manager of unit A"
    case managerB = "unit-manager of unit B"
    case auditor, board

    var testDescription: String { rawValue }

    var role: Role {
        switch self {
        case .officer: return .officer
        case .registrar: return .registrar
        case .investigator: return .investigator
        case .managerA, .managerB: return .unitManager
        case .auditor: return .auditor
        case .board: return .board
        }
    }

    /// Whether this person may read the content of a case of unit A (issue 2, point 4).
    var readsUnitACase: Bool {
        switch self {
        case .officer, .investigator, .managerA: return true
        case .registrar, .auditor, .board, .managerB: return false
        }
    }
}

/// A vault with one person of every role enrolled and two cases archived, with secrets planted
/// in everything that must never reach the vault file in clear.
///
/// - Case `caseID` (unit A), archived by the registrar: `bigName` (200 KiB, 4 chunks) as
///   document `bigDoc`, `smallName` (one chunk) as document `smallDoc` in two versions (the
///   second added by the officer).
/// - Case `otherCaseID` (unit A), archived by the registrar: `otherName`, one chunk.
final class Story {
    static let caseID = "ASN 2021/0026"
    static let otherCaseID = "ASN 2021/0031"
    static let received = "2021-03-14"

    // The planted secrets.
    static let unitA = "Hemtjänst Kvarnbackens nattpatrull"
    static let unitB = "Gruppbostaden Lärkträdet"
    static let title = "Fallolycka i duschrummet utan larmknapp"
    static let otherTitle = "Felaktig läkemedelsdos vid kvällsrundan"
    static let concernedName = "Gunnel Vretström"
    static let personnummer = "640823-3234"
    static let phrase = "trygghetslarmet saknade batteri sedan augusti"
    static let otherPhrase = "medicinvagnen stod olåst i korridoren"
    static let bigName = "anmalan-zebrafink.txt"
    static let smallName = "bilaga-pelargon.txt"
    static let otherName = "utredning-kardemumma.txt"

    static let memberNames: [StoryPerson: String] = [
        .officer: "Olivia Ombudsdotter",
        .registrar: "Rasmus Registersson",
        .investigator: "Ingrid Utredarsson",
        .managerA: "Maja Enhetschefsdotter",
        .managerB: "Bertil Annanenhetsson",
        .auditor: "Agnes Granskarsson",
        .board: "Nils Nämndeman",
    ]

    /// Every string that must not occur in clear in the vault file, with ASCII-only cores too,
    /// so a change of Unicode normalisation cannot hide a leak from the search.
    static var secrets: [String] {
        [
            unitA, "Kvarnbackens", unitB, "Lärkträdet", "Gruppbostaden", title, "duschrummet", otherTitle,
            "kvällsrundan", "Felaktig", concernedName, "Vretstr", personnummer, "6408233234", phrase,
            "trygghetslarmet", otherPhrase, "medicinvagnen", bigName, "zebrafink", smallName, "pelargon",
            otherName, "kardemumma",
        ] + memberNames.values.sorted()
    }

    let dir: TemporaryDirectory
    let vaultPath: String
    let people: [StoryPerson: Identity]

    let big: [UInt8]
    let small: [UInt8]
    let smallV2: [UInt8]
    let other: [UInt8]
    let bigDoc: Int64
    let smallDoc: Int64
    let otherDoc: Int64

    var officer: Identity { people[.officer]! }
    var registrar: Identity { people[.registrar]! }
    var investigator: Identity { people[.investigator]! }
    var managerA: Identity { people[.managerA]! }
    var managerB: Identity { people[.managerB]! }
    var auditor: Identity { people[.auditor]! }
    var board: Identity { people[.board]! }

    subscript(_ person: StoryPerson) -> Identity { people[person]! }

    init(in dir: TemporaryDirectory) throws {
        self.dir = dir
        vaultPath = dir.path("vault.sarah")
        var people: [StoryPerson: Identity] = [:]
        for p in StoryPerson.allCases { people[p] = try Identity.generate(name: Self.memberNames[p]!) }
        self.people = people

        big = Self.document(size: 200 * 1024, seed: "stor")
        small = Array(
            """
            Rapport enligt lex Sarah.
            Berörd person: \(Self.concernedName), personnummer \(Self.personnummer).
            Händelse: \(Self.phrase).

            """.utf8)
        smallV2 = small + Array("Komplettering: samtal med anhöriga genomfört.\n".utf8)
        other = Array("Utredning. \(Self.otherPhrase). Berörd: \(Self.concernedName) \(Self.personnummer).\n".utf8)

        let bigPath = try dir.write("in/\(Self.bigName)", big)
        let smallPath = try dir.write("in/\(Self.smallName)", small)
        let smallV2Path = try dir.write("in/v2/\(Self.smallName)", smallV2)
        let otherPath = try dir.write("in/\(Self.otherName)", other)

        let officerVault = try Vault.create(
            at: vaultPath, identity: people[.officer]!, name: Self.memberNames[.officer]!)
        for p in StoryPerson.allCases where p != .officer {
            let unit: String? =
                switch p {
                case .managerA: Self.unitA
                case .managerB: Self.unitB
                default: nil
                }
            try officerVault.addMember(
                name: Self.memberNames[p]!, role: p.role, unit: unit, publicKey: people[p]!.publicKey)
        }

        let registrarVault = try Vault.open(at: vaultPath, identity: people[.registrar]!)
        let archived = try registrarVault.archive(
            files: [bigPath, smallPath], diarienummer: Self.caseID, unit: Self.unitA, received: Self.received,
            title: Self.title, kind: .report, investigators: [people[.investigator]!.keyID],
            allowPersonnummer: true)
        guard archived.created, archived.documents.count == 2 else { throw TestFailure("story: archive failed") }
        bigDoc = archived.documents[0].id
        smallDoc = archived.documents[1].id

        let added = try officerVault.add(
            caseID: Self.caseID, files: [smallV2Path], kind: .report, allowPersonnummer: true)
        guard added.documents.first?.id == smallDoc, added.documents.first?.version == 2 else {
            throw TestFailure("story: the second version did not become version 2 of the small document")
        }

        let otherCase = try registrarVault.archive(
            files: [otherPath], diarienummer: Self.otherCaseID, unit: Self.unitA, received: "2021-04-02",
            title: Self.otherTitle, kind: .investigation, investigators: [people[.investigator]!.keyID],
            allowPersonnummer: true)
        otherDoc = otherCase.documents[0].id
    }

    /// The vault, opened as `who`.
    func vault(_ who: Identity) throws -> Vault { try Vault.open(at: vaultPath, identity: who) }
    func vault(_ who: StoryPerson) throws -> Vault { try vault(self[who]) }

    func raw() throws -> RawVault { try RawVault(path: vaultPath) }

    /// Deterministic text of exactly `size` bytes whose lines carry the secrets, so that every
    /// chunk holds plaintext a leak search would find.
    static func document(size: Int, seed: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size + 200)
        var line = 0
        while out.count < size {
            out += Array(
                "\(seed) rad \(line): \(concernedName) (\(personnummer)) — \(phrase); enhet \(unitA).\n".utf8)
            line += 1
        }
        return Array(out[0..<size])
    }
}

/// The files in `dir` whose names start with `prefix` (an output and any partial of it).
func outputs(in dir: TemporaryDirectory, prefix: String) -> [String] {
    dir.listing().filter { $0.hasPrefix(prefix) }
}

/// The `sarah-vault` binary the end-to-end tests run: $SARAH_VAULT_BIN, else the one beside the
/// test bundle (the same build), else one in the package's build directories.
func sarahVaultBinary() -> String? {
    let fm = FileManager.default
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["SARAH_VAULT_BIN"] { candidates.append(env) }
    if let exe = Bundle.main.executableURL {
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("sarah-vault").path)
    }
    if let arg0 = CommandLine.arguments.first {
        candidates.append(
            URL(fileURLWithPath: arg0).deletingLastPathComponent().appendingPathComponent("sarah-vault").path)
    }
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }  // Tests/SarahVaultTests/TestSupport.swift
    let builds = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix(".build") }.sorted()
    for build in builds { candidates.append(root.appendingPathComponent("\(build)/debug/sarah-vault").path) }
    return candidates.first { fm.isExecutableFile(atPath: $0) }
}
