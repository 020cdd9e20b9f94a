import Foundation
import Testing

@testable import SarahVault

/// Issue 3, acceptance 4: `recover` restores an officer's access from the recovery key in a
/// vault whose only officer identity is gone; a wrong or mistyped recovery key is refused.
@Suite struct RolesRecoveryTests {
    static let pass = "bokhylla i källaren, tredje hyllan"

    /// A vault whose only officer's identity lived in a file, with both fixture cases, one of
    /// them rotated by a revoke (so recovery must follow the rotation); then the officer's
    /// identity file is deleted and every in-memory copy of it dropped.
    static func orphanedVault(in dir: TemporaryDirectory) throws -> (
        world: RolesWorld, recoveryText: String, departed: String
    ) {
        let world = try RolesWorld(in: dir)
        try world.vault(.officer).revoke(caseID: RolesWorld.caseB, from: world[.revokee].keyID)
        // The officer's identity, as it existed on disk, then deleted.
        let idPath = dir.path("officer.id")
        try world[.officer].write(to: idPath, passphrase: try passphrase(Self.pass), kdf: .interactive)
        #expect(try Identity.load(from: idPath, passphrase: try passphrase(Self.pass)).keyID == world[.officer].keyID)
        try FileManager.default.removeItem(atPath: idPath)
        #expect(throws: VaultError.self) { try Identity.load(from: idPath, passphrase: try passphrase(Self.pass)) }
        return (world, world.recoveryText, world[.officer].keyID)
    }

    /// A new person's identity, from its own file (KDF interactive, as a user would have it).
    static func newcomer(in dir: TemporaryDirectory, name: String) throws -> Identity {
        let path = dir.path("\(UUID().uuidString).id")
        try Identity.generate(name: name).write(to: path, passphrase: try passphrase(Self.pass), kdf: .interactive)
        return try Identity.load(from: path, passphrase: try passphrase(Self.pass))
    }

    @Test func aNewOfficerRecoversEveryCaseFromTheRecoveryKey() throws {
        try withTemporaryDirectory { dir in
            let (world, text, departed) = try Self.orphanedVault(in: dir)
            let newOfficer = try Self.newcomer(in: dir, name: "Nora Nyansvarig")

            // Before recovering, the newcomer is nobody here.
            #expect(try world.vault(newOfficer).actingRole == nil)
            #expect(throws: VaultError.self) { try world.vault(newOfficer).cases() }

            // The paper form survives retyping: lower/upper case, spaces, line breaks.
            let retyped = text.uppercased().replacingOccurrences(of: "-", with: " ").replacingOccurrences(
                of: "SVRK1 ", with: "svrk1-\n")
            let vault = try Vault.recover(
                at: world.vaultPath, identity: newOfficer, recoveryKey: try RecoveryKey(text: retyped))
            #expect(vault.actingRole == .officer)
            #expect(vault.actingKeyID == newOfficer.keyID)

            // Every case: the registry fields with the key, and the content.
            let cases = try vault.cases()
            #expect(Set(cases.map(\.case)) == Set(RolesCase.allCases.map(\.id)))
            for c in RolesCase.allCases {
                let s = try #require(cases.first { $0.case == c.id })
                #expect(s.access && s.title == c.title && s.unit == c.unit, "\(c.id)")
                let out = dir.path("out-\(c.rawValue)")
                try vault.read(caseID: c.id, to: .file(out))
                #expect(try readBytes(out) == c.content, "\(c.id)")
                #expect(try vault.show(caseID: c.id).keyHolders.contains(newOfficer.keyID))
            }
            // Also from a raw copy, with the new identity alone.
            let raw = try RolesRawCopy(path: try world.copyVault(to: "copy-recovered"))
            for c in RolesCase.allCases {
                #expect(try raw.view(c.id, with: newOfficer.box).documents["1/1"]?.content == c.content, "\(c.id)")
            }

            // The new officer can act as one: enrol, and take the departed officer off the roster
            // (which rotates every case key, since the recovered officer holds them all).
            let successor = try Identity.generate(name: "Sam Efterträdare")
            try vault.addMember(name: successor.name, role: .investigator, unit: nil, publicKey: successor.publicKey)
            try vault.removeMember(departed)
            #expect(!(try vault.members().contains { $0.keyID == departed }))

            // The log shows the recovery, signed with the recovery key, naming the new officer.
            let log = try vault.auditLog()
            let recovery = try #require(log.first { $0.action == "vault.recover" })
            #expect(recovery.result == .granted)
            #expect(recovery.role == .officer)
            #expect(recovery.detail.contains(newOfficer.keyID))
            #expect(recovery.actorKeyID != newOfficer.keyID && recovery.actorKeyID != departed)
            #expect(recovery.actorSigningKey == (try RecoveryKey(text: text)).identity.signing.publicKey)
            #expect(recovery.verifySignature())
            let grants = log.filter {
                $0.action == "case.grant" && $0.seq < recovery.seq && $0.detail.contains(newOfficer.keyID)
            }
            #expect(Set(grants.compactMap(\.caseID)) == Set(RolesCase.allCases.map(\.id)))
            #expect(
                log.contains {
                    $0.action == "member.add" && $0.detail.contains(newOfficer.keyID) && $0.detail.contains("officer")
                })

            let report = try vault.verify()
            #expect(report.ok, "\(report.problems)")
            #expect(try world.vault(.auditor).verify().ok)
        }
    }

    @Test func aWrongRecoveryKeyIsRefusedAndChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let (world, _, _) = try Self.orphanedVault(in: dir)
            // A well-formed recovery key — of another vault.
            let other = try withTemporaryDirectory { other in
                try #require(
                    try Vault.create(at: other.path("v.sarah"), identity: try Identity.generate(name: "Annan"))
                        .recoveryKey?.text)
            }
            let stranger = try Self.newcomer(in: dir, name: "Fel Nyckelsson")
            let before = try rolesAuditEntries(world.vaultPath).count
            let membersBefore = try RawVault(path: world.vaultPath).db.firstRow("SELECT count(*) FROM members")?.first?
                .int

            let e = #expect(throws: VaultError.self) {
                try Vault.recover(at: world.vaultPath, identity: stranger, recoveryKey: try RecoveryKey(text: other))
            }
            #expect(e?.code == .authenticationFailed)
            #expect(try rolesAuditEntries(world.vaultPath).count == before)
            #expect(
                try RawVault(path: world.vaultPath).db.firstRow("SELECT count(*) FROM members")?.first?.int
                    == membersBefore)
            let v = try world.vault(stranger)
            #expect(v.actingRole == nil)
            #expect(throws: VaultError.self) { try v.read(caseID: RolesWorld.caseA, to: .file(dir.path("out-x"))) }
            #expect(!FileManager.default.fileExists(atPath: dir.path("out-x")))
        }
    }

    struct Mistyped: Sendable, CustomTestStringConvertible {
        var label: String
        var edit: @Sendable (String) -> String
        var testDescription: String { label }
    }

    /// The index of a letter of the key's body (after "svrk1-") near the middle, whose
    /// neighbour to the right is a different letter.
    static func middleLetter(_ chars: [Character]) -> Int {
        var i = chars.count / 2
        while chars[i] == "-" || chars[i + 1] == "-" || chars[i] == chars[i + 1] { i += 1 }
        return i
    }

    static let mistypings: [Mistyped] = [
        Mistyped(label: "one letter changed") { t in
            var chars = Array(t)
            let i = middleLetter(chars)
            chars[i] = chars[i] == "q" ? "r" : "q"
            return String(chars)
        },
        Mistyped(label: "two letters swapped") { t in
            var chars = Array(t)
            let i = middleLetter(chars)
            chars.swapAt(i, i + 1)
            return String(chars)
        },
        Mistyped(label: "last group missing") { t in String(t[..<t.lastIndex(of: "-")!]) },
        Mistyped(label: "a group typed twice") { t in t + "-" + t.split(separator: "-").last! },
        Mistyped(label: "wrong prefix") { t in "svrk2" + t.dropFirst(5) },
        Mistyped(label: "empty") { _ in "" },
    ]

    @Test(arguments: mistypings)
    func aMistypedRecoveryKeyIsRefusedBeforeAnythingIsTried(_ m: Mistyped) throws {
        try withTemporaryDirectory { dir in
            let (world, text, _) = try Self.orphanedVault(in: dir)
            let typed = m.edit(text)
            #expect(typed.replacingOccurrences(of: "-", with: "") != text.replacingOccurrences(of: "-", with: ""))
            let e = #expect(throws: VaultError.self) { try RecoveryKey(text: typed) }
            #expect(e?.code == .invalidInput)
            #expect(e.map { !$0.message.contains(text) } ?? true, "the error repeats the key")
            // The real key still works afterwards.
            let officer = try Vault.recover(
                at: world.vaultPath, identity: try Identity.generate(name: "Rätt Nyckelsson"),
                recoveryKey: try RecoveryKey(text: text))
            #expect(officer.actingRole == .officer)
        }
    }

    /// Recovering as someone who is already a member is refused (recovery is for enrolling a new
    /// officer, not for promoting an existing member).
    @Test func anExistingMemberCannotRecoverThemselvesIntoAnOfficer() throws {
        try withTemporaryDirectory { dir in
            let (world, text, _) = try Self.orphanedVault(in: dir)
            let e = #expect(throws: VaultError.self) {
                try Vault.recover(
                    at: world.vaultPath, identity: world[.registrar], recoveryKey: try RecoveryKey(text: text))
            }
            #expect(e?.code == .alreadyExists)
            #expect(try world.vault(.registrar).actingRole == .registrar)
            #expect(!(try rolesAuditEntries(world.vaultPath).contains { $0.action == "vault.recover" }))
        }
    }
}
