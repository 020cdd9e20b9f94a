import Foundation
import Testing

@testable import SarahVault

// Shared fixture for the issue 3 acceptance tests (Roles*Tests.swift): a vault with one person
// of every role, two units, a case of each, and a raw, library-free way to decrypt a copy of
// the vault file with one identity, following docs/FORMAT.md.

/// The people whose rights issue 3 tabulates.
enum RolesActor: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case registrar
    case investigatorAssigned = "investigator (assigned to case A)"
    case investigatorUnassigned = "investigator (not assigned)"
    case managerA = "unit-manager of unit A"
    case managerB = "unit-manager of unit B"
    case officer
    case auditor
    case board
    case nonMember = "non-member"

    var testDescription: String { rawValue }

    /// nil: not enrolled.
    var role: Role? {
        switch self {
        case .registrar: return .registrar
        case .investigatorAssigned, .investigatorUnassigned: return .investigator
        case .managerA, .managerB: return .unitManager
        case .officer: return .officer
        case .auditor: return .auditor
        case .board: return .board
        case .nonMember: return nil
        }
    }

    var unit: String? {
        switch self {
        case .managerA: return RolesWorld.unitA
        case .managerB: return RolesWorld.unitB
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .registrar: return "Rut Diarieförare"
        case .investigatorAssigned: return "Ivar Utredare"
        case .investigatorUnassigned: return "Iris Utanförutredare"
        case .managerA: return "Mona Enhetschef"
        case .managerB: return "Bo Annanchef"
        case .officer: return "Olle Sarahansvarig"
        case .auditor: return "Alva Revisor"
        case .board: return "Nore Nämndledamot"
        case .nonMember: return "Fredrik Främling"
        }
    }

    /// Whether the policy in force lets this person do `capability` (deny by default).
    func allowed(_ capability: Policy.Capability, by policy: Policy = .default) -> Bool {
        role.map { policy.allows($0, capability) } ?? false
    }

    /// Who holds which case key by the distribution rules of issue 3 (routine 3.1), written
    /// out here rather than asked of the library: officers hold all; a unit manager their
    /// unit's; an investigator the cases they were named for; nobody else any.
    func holdsKey(_ c: RolesCase) -> Bool {
        switch self {
        case .officer: return true
        case .managerA: return c == .a
        case .managerB: return c == .b
        case .investigatorAssigned: return c == .a
        case .registrar, .investigatorUnassigned, .auditor, .board, .nonMember: return false
        }
    }
}

/// The two cases of the fixture: `.a` of unit A, `.b` of unit B.
enum RolesCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case a, b

    var testDescription: String { "case \(rawValue.uppercased())" }

    var id: String { self == .a ? RolesWorld.caseA : RolesWorld.caseB }
    var unit: String { self == .a ? RolesWorld.unitA : RolesWorld.unitB }
    var title: String { self == .a ? RolesWorld.titleA : RolesWorld.titleB }
    var documentName: String { self == .a ? "rapport-vitsippa.txt" : "rapport-blåklocka.txt" }
    var content: [UInt8] {
        Array(
            (self == .a
                ? "Rapport: nattpersonalen hittade brukaren på golvet; larmet var avstängt.\n"
                : "Rapport: fel dos insulin gavs vid lunch; upptäcktes vid kvällsmätningen.\n").utf8)
    }
}

/// Extra members the operations act on, so that no operation on one case disturbs another.
enum RolesExtra: String, CaseIterable, Sendable {
    /// An investigator holding nothing: the target of `assign` and `grant`.
    case spareInvestigator
    /// An investigator named on both cases: the target of `revoke`.
    case revokee
    /// Investigators named on case A / case B only: the targets of `member remove`.
    case removableA, removableB

    var name: String {
        switch self {
        case .spareInvestigator: return "Siv Reservutredare"
        case .revokee: return "Rolf Återkallad"
        case .removableA: return "Ebba Avslutad"
        case .removableB: return "Erik Avslutad"
        }
    }
}

final class RolesWorld {
    static let caseA = "ASN 2022/0101"
    static let caseB = "ASN 2022/0202"
    static let receivedA = "2022-02-03"
    static let receivedB = "2022-03-04"
    static let unitA = "Boendestöd Ekbacken"
    static let unitB = "Hemtjänst Lindgården"
    static let titleA = "Brukare låg på golvet hela natten"
    static let titleB = "Fel insulindos vid lunchen"

    let dir: TemporaryDirectory
    let vaultPath: String
    let actors: [RolesActor: Identity]
    let extras: [RolesExtra: Identity]
    /// The recovery key's paper form, shown once at `create`.
    let recoveryText: String

    subscript(_ a: RolesActor) -> Identity { actors[a]! }
    subscript(_ e: RolesExtra) -> Identity { extras[e]! }

    init(in dir: TemporaryDirectory) throws {
        self.dir = dir
        vaultPath = dir.path("vault.sarah")
        var actors: [RolesActor: Identity] = [:]
        for a in RolesActor.allCases { actors[a] = try Identity.generate(name: a.name) }
        var extras: [RolesExtra: Identity] = [:]
        for e in RolesExtra.allCases { extras[e] = try Identity.generate(name: e.name) }
        self.actors = actors
        self.extras = extras

        let officer = try Vault.create(at: vaultPath, identity: actors[.officer]!, name: RolesActor.officer.name)
        recoveryText = try #require(officer.recoveryKey?.text)
        for a in RolesActor.allCases where a != .officer && a != .nonMember {
            try officer.addMember(name: a.name, role: a.role!, unit: a.unit, publicKey: actors[a]!.publicKey)
        }
        for e in RolesExtra.allCases {
            try officer.addMember(name: e.name, role: .investigator, unit: nil, publicKey: extras[e]!.publicKey)
        }

        let registrar = try Vault.open(at: vaultPath, identity: actors[.registrar]!)
        for c in RolesCase.allCases {
            let path = try dir.write("in-\(c.rawValue)/\(c.documentName)", c.content)
            let named =
                (c == .a ? [actors[.investigatorAssigned]!, extras[.removableA]!] : [extras[.removableB]!])
                + [extras[.revokee]!]
            let r = try registrar.archive(
                files: [path], diarienummer: c.id, unit: c.unit, received: c == .a ? Self.receivedA : Self.receivedB,
                title: c.title, kind: .report, investigators: named.map(\.keyID))
            guard r.created, r.documents.count == 1 else { throw TestFailure("fixture: archive of \(c.id) failed") }
        }
    }

    func vault(_ who: Identity) throws -> Vault { try Vault.open(at: vaultPath, identity: who) }
    func vault(_ a: RolesActor) throws -> Vault { try vault(self[a]) }

    /// A plain byte copy of the vault file, as someone with read access to the disk takes it.
    func copyVault(to name: String) throws -> String {
        let to = dir.path(name)
        try FileManager.default.copyItem(atPath: vaultPath, toPath: to)
        return to
    }

    /// Writes a small text file (no personnummer) to add as a document.
    func newFile(_ name: String, _ text: String) throws -> String {
        try dir.write("new-\(UUID().uuidString)/\(name)", Array(text.utf8))
    }
}

// MARK: - Reading the log without touching the vault

/// Every audit entry of the vault file, parsed, without going through `Vault` (so reading them
/// adds no entry of its own).
func rolesAuditEntries(_ path: String) throws -> [AuditEntry] {
    let db = try SQLiteDatabase(path: path, create: false, readOnly: true)
    return try db.rows("SELECT entry FROM audit ORDER BY seq").map { row in
        try AuditEntry(bytes: try #require(row.first?.bytes))
    }
}

// MARK: - Raw decryption of a vault file copy, from docs/FORMAT.md

/// What one identity can decrypt from a copy of a vault file, using only SQL and libsodium
/// primitives as docs/FORMAT.md describes them — no `Vault`, no `VaultStore`.
struct RolesRawCopy {
    let db: SQLiteDatabase
    let vaultID: [UInt8]

    init(path: String) throws {
        db = try SQLiteDatabase(path: path, create: false, readOnly: true)
        vaultID = try #require(try db.firstRow("SELECT value FROM meta WHERE name = 'vault_id'")?.first?.bytes)
    }

    struct Version {
        var vid: Int64
        var document: Int64
        var version: Int64
        var sealedKey: [UInt8]
        var keyCommitment: [UInt8]
    }

    func caseIDs() throws -> [String] {
        try db.rows("SELECT case_id FROM cases ORDER BY case_id").compactMap { $0.first?.string }
    }

    func casePublicKey(_ caseID: String) throws -> [UInt8] {
        try #require(try db.firstRow("SELECT public_key FROM cases WHERE case_id = ?", [.text(caseID)])?.first?.bytes)
    }

    func epoch(_ caseID: String) throws -> Int64 {
        try #require(try db.firstRow("SELECT epoch FROM cases WHERE case_id = ?", [.text(caseID)])?.first?.int)
    }

    /// Every sealed copy of the case key, whoever it is for.
    func sealedCaseKeys(_ caseID: String) throws -> [(keyID: String, sealed: [UInt8])] {
        try db.rows("SELECT key_id, sealed FROM case_keys WHERE case_id = ?", [.text(caseID)]).map {
            (try #require($0[0].string), try #require($0[1].bytes))
        }
    }

    func versions(_ caseID: String) throws -> [Version] {
        try db.rows(
            "SELECT vid, doc, version, sealed_key, key_commit FROM versions WHERE case_id = ? ORDER BY doc, version",
            [.text(caseID)]
        ).map {
            Version(
                vid: try #require($0[0].int), document: try #require($0[1].int), version: try #require($0[2].int),
                sealedKey: try #require($0[3].bytes), keyCommitment: try #require($0[4].bytes))
        }
    }

    /// The case's secret key, if any sealed copy in the file opens with `box` and matches the
    /// case's public key (section 6). Tries every row, not only the one named for `box`.
    func openCaseKey(_ caseID: String, with box: BoxKeyPair) throws -> BoxKeyPair? {
        let pk = try casePublicKey(caseID)
        for (_, sealed) in try sealedCaseKeys(caseID) {
            guard let secret = try box.open(sealed) else { continue }
            let pair = try BoxKeyPair(secretKey: secret)
            if pair.publicKey == pk { return pair }
        }
        return nil
    }

    /// `K || name` of a version, if `caseKey` opens its sealed key (section 6.1).
    func openVersionKey(_ v: Version, with caseKey: BoxKeyPair) throws -> (key: SecureBytes, name: String)? {
        guard let plain = try caseKey.open(v.sealedKey), plain.count >= 32 else { return nil }
        let key = try plain.slice(0..<32)
        let name = String(decoding: plain.withUnsafeBytes { [UInt8]($0[32...]) }, as: UTF8.self)
        #expect(ChunkedCipher.keyCommitment(key) == v.keyCommitment, "key commitment of vid \(v.vid)")
        return (key, name)
    }

    /// Binding B of section 6.1, built from the document rather than from `CaseCrypto`.
    func binding(caseID: String, document: Int64, version: Int64) -> [UInt8] {
        var b = Array("sarahvault/v1/chunk".utf8) + vaultID
        let id = Array(caseID.utf8)
        b.append(UInt8(id.count))
        b += id
        for v in [UInt32(document), UInt32(version)] { b += withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        return b
    }

    /// The plaintext of a version's chunk stream under `key` (section 7), or nil when any
    /// chunk does not open.
    func decrypt(caseID: String, _ v: Version, key: SecureBytes) throws -> [UInt8]? {
        let chunks = try db.rows("SELECT idx, data FROM chunks WHERE vid = ? ORDER BY idx", [.integer(v.vid)])
        let ad = binding(caseID: caseID, document: v.document, version: v.version)
        var out: [UInt8] = []
        for (i, row) in chunks.enumerated() {
            #expect(row[0].int == Int64(i))
            let data = try #require(row[1].bytes)
            guard data.count >= 16 else { return nil }
            var nonce = [UInt8](repeating: 0, count: 15) + withUnsafeBytes(of: UInt64(i).bigEndian) { Array($0) }
            nonce.append(i == chunks.count - 1 ? 1 : 0)
            var plain = [UInt8](repeating: 0, count: data.count - 16)
            let ok = data.withUnsafeBytes { c in
                plain.withUnsafeMutableBytes { p in AEAD.open(c, key: key, nonce: nonce, ad: ad, into: p) }
            }
            guard ok else { return nil }
            out += plain
        }
        return chunks.isEmpty ? nil : out
    }

    /// Everything `box` can decrypt of one case from this file.
    struct CaseView {
        var caseKeyOpens = false
        var title: String?
        var unit: String?
        /// Document (≥ 1) name and content, by (document, version).
        var documents: [String: (name: String, content: [UInt8])] = [:]
        /// Versions whose key did not open.
        var sealedVersions = 0
    }

    func view(_ caseID: String, with box: BoxKeyPair) throws -> CaseView {
        var view = CaseView()
        let caseKey = try openCaseKey(caseID, with: box)
        view.caseKeyOpens = caseKey != nil
        for v in try versions(caseID) {
            // Try the case key if any; and, for someone without it, their own key on the version
            // key directly (it is sealed to the case, so this must fail too).
            let opened = try caseKey.flatMap { try openVersionKey(v, with: $0) } ?? (try openVersionKey(v, with: box))
            guard let (key, name) = opened, let plain = try decrypt(caseID: caseID, v, key: key) else {
                view.sealedVersions += 1
                continue
            }
            if v.document == 0 {
                let record = try #require(
                    try JSONSerialization.jsonObject(with: Data(plain)) as? [String: Any], "case record is JSON")
                view.title = record["title"] as? String
                view.unit = record["unit"] as? String
            } else {
                view.documents["\(v.document)/\(v.version)"] = (name, plain)
            }
        }
        return view
    }

    /// The member profiles (name, unit) `box` can open with the roster key sealed to it
    /// (section 5.1), or nil when no roster key opens.
    func memberProfiles(with box: BoxKeyPair) throws -> [String: String]? {
        var rosterKey: SecureBytes?
        for row in try db.rows("SELECT roster_key FROM members") {
            if let sealed = row[0].bytes, let k = try box.open(sealed), k.count == 32 { rosterKey = k }
        }
        guard let rosterKey else { return nil }
        var out: [String: String] = [:]
        for row in try db.rows("SELECT key_id, profile FROM members") {
            let keyID = try #require(row[0].string)
            let profile = try #require(row[1].bytes)
            guard profile.count > 24 + 16 else { continue }
            let nonce = Array(profile[0..<24])
            let ct = Array(profile[24...])
            let ad = Array("sarahvault/v1/profile".utf8) + Array(keyID.utf8)
            var plain = [UInt8](repeating: 0, count: ct.count - 16)
            let ok = ct.withUnsafeBytes { c in
                plain.withUnsafeMutableBytes { p in AEAD.open(c, key: rosterKey, nonce: nonce, ad: ad, into: p) }
            }
            guard ok, let n = plain.first, plain.count >= 1 + Int(n) else { continue }
            out[keyID] = String(decoding: plain[1..<1 + Int(n)], as: UTF8.self)
        }
        return out
    }
}

extension RolesRawCopy {
    /// The board key pair, if any sealed copy in `board_keys` opens with `box` and matches
    /// `meta.board_public_key`.
    func openBoardKey(with box: BoxKeyPair) throws -> BoxKeyPair? {
        guard let pk = try db.firstRow("SELECT value FROM meta WHERE name = 'board_public_key'")?.first?.bytes else {
            return nil
        }
        for row in try db.rows("SELECT sealed FROM board_keys") {
            guard let sealed = row[0].bytes, let secret = try box.open(sealed) else { continue }
            let pair = try BoxKeyPair(secretKey: secret)
            if pair.publicKey == pk { return pair }
        }
        return nil
    }

    /// The board summaries `box` can decrypt, by "case/version": each has a one-shot key sealed
    /// to the board key; the body is nonce (24) || AEAD with associated data
    /// "sarahvault/v1/summary" || vault id || short(case id) || u32(version). Without the board
    /// key, the person's own key is tried on the sealed keys (which must fail).
    func summaries(with box: BoxKeyPair) throws -> [String: String] {
        let opener = try openBoardKey(with: box) ?? box
        var out: [String: String] = [:]
        for row in try db.rows("SELECT case_id, version, sealed_key, body FROM summaries") {
            let caseID = try #require(row[0].string)
            let version = try #require(row[1].int)
            guard let sealed = row[2].bytes, let body = row[3].bytes, body.count > 24 + 16,
                let key = try opener.open(sealed), key.count == 32
            else { continue }
            var ad = Array("sarahvault/v1/summary".utf8) + vaultID
            ad.append(UInt8(caseID.utf8.count))
            ad += Array(caseID.utf8)
            ad += withUnsafeBytes(of: UInt32(version).bigEndian) { Array($0) }
            let ct = Array(body[24...])
            var plain = [UInt8](repeating: 0, count: ct.count - 16)
            let ok = ct.withUnsafeBytes { c in
                plain.withUnsafeMutableBytes { p in AEAD.open(c, key: key, nonce: Array(body[0..<24]), ad: ad, into: p)
                }
            }
            if ok { out["\(caseID)/\(version)"] = String(decoding: plain, as: UTF8.self) }
        }
        return out
    }
}
