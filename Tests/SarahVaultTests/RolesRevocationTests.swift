import Foundation
import Testing

@testable import SarahVault

/// Issue 3, acceptance 3: after `revoke` (and after `member remove`), copies of the vault file
/// taken afterwards give the revoked person nothing of the case — not the new version, and not
/// the old versions either, whose keys were resealed to the rotated case key — even holding the
/// old case key they had before; everyone who keeps access still decrypts everything.
@Suite struct RolesRevocationTests {
    static let v2 = Array("Rapport, reviderad: nattpersonalen larmade ambulans kl. 03.10.\n".utf8)
    static let appendix = Array("Bilaga: bemanningslista för natten.\n".utf8)

    /// Who keeps case A's key after `revokee` is revoked from it.
    static func keepers(_ world: RolesWorld) -> [(String, BoxKeyPair)] {
        [
            ("officer", world[.officer].box), ("unit-manager A", world[.managerA].box),
            ("assigned investigator", world[.investigatorAssigned].box),
            ("other named investigator", world[.removableA].box),
        ]
    }

    @Test func theRevokedCannotDecryptFromCopiesTakenAfterwardsTheOthersCan() throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            let revoked = world[.revokee]
            let caseA = RolesWorld.caseA

            // What the revokee could take while they held the key: the case key itself.
            let before = try RolesRawCopy(path: try world.copyVault(to: "copy-0-before"))
            let oldCaseKey = try #require(try before.openCaseKey(caseA, with: revoked.box))
            #expect(try before.view(caseA, with: revoked.box).documents["1/1"]?.content == RolesCase.a.content)

            try world.vault(.officer).revoke(caseID: caseA, from: revoked.keyID)
            let afterRevoke = try RolesRawCopy(path: try world.copyVault(to: "copy-1-after-revoke"))

            // A new version of the document (officer) and a new document (registrar, who can add
            // but not read).
            let v2Path = try dir.write("v2/\(RolesCase.a.documentName)", Self.v2)
            #expect(try world.vault(.officer).add(caseID: caseA, files: [v2Path]).documents.first?.version == 2)
            let appPath = try dir.write("app/bilaga-bemanning.txt", Self.appendix)
            #expect(try world.vault(.registrar).add(caseID: caseA, files: [appPath]).documents.first?.id == 2)
            let afterAdd = try RolesRawCopy(path: try world.copyVault(to: "copy-2-after-add"))

            for (label, copy) in [("after revoke", afterRevoke), ("after the new version", afterAdd)] {
                #expect(try copy.epoch(caseA) == 1, "\(label)")
                #expect(try copy.casePublicKey(caseA) != oldCaseKey.publicKey, "\(label): the case key was not rotated")
                #expect(!(try copy.sealedCaseKeys(caseA).map(\.keyID).contains(revoked.keyID)), "\(label)")

                // With their own identity: nothing of case A.
                let view = try copy.view(caseA, with: revoked.box)
                #expect(!view.caseKeyOpens, "\(label)")
                #expect(view.title == nil && view.unit == nil, "\(label)")
                #expect(view.documents.isEmpty, "\(label): the revoked person decrypts \(view.documents.keys.sorted())")

                // With the old case key kept from before: no version key opens, old or new.
                for v in try copy.versions(caseA) {
                    #expect(
                        try copy.openVersionKey(v, with: oldCaseKey) == nil, "\(label): doc \(v.document) v\(v.version)"
                    )
                }
                // Case B, which they still hold, is untouched.
                #expect(
                    try copy.view(RolesWorld.caseB, with: revoked.box).documents["1/1"]?.content == RolesCase.b.content)
            }
            #expect(try afterAdd.versions(caseA).count == 4)  // record, v1, v2, appendix

            // The others decrypt every version from both copies, with their own identity alone;
            // so does the recovery key.
            let recovery = try RecoveryKey(text: world.recoveryText).identity.box
            for (who, box) in Self.keepers(world) + [("recovery key", recovery)] {
                let v1 = try afterRevoke.view(caseA, with: box)
                #expect(v1.title == RolesWorld.titleA, "\(who)")
                #expect(v1.documents["1/1"]?.content == RolesCase.a.content, "\(who)")
                let v2 = try afterAdd.view(caseA, with: box)
                #expect(v2.documents["1/1"]?.content == RolesCase.a.content, "\(who)")
                #expect(v2.documents["1/2"]?.content == Self.v2, "\(who)")
                #expect(v2.documents["2/1"]?.content == Self.appendix, "\(who)")
                #expect(v2.sealedVersions == 0, "\(who)")
            }

            // Through the library: refused and logged; the log records the rotation and verifies.
            let out = dir.path("out-revoked")
            let e = #expect(throws: VaultError.self) {
                try world.vault(revoked).read(caseID: caseA, document: "1", to: .file(out))
            }
            #expect(e?.code == .refused)
            #expect(!FileManager.default.fileExists(atPath: out))
            let log = try rolesAuditEntries(world.vaultPath)
            let rotation = try #require(log.first { $0.action == "case.revoke" && $0.result == .granted })
            #expect(rotation.caseID == caseA)
            #expect(rotation.actorKeyID == world[.officer].keyID)
            #expect(rotation.detail.contains(revoked.keyID))
            #expect(
                log.contains { $0.action == "document.read" && $0.result == .refused && $0.actorKeyID == revoked.keyID }
            )
            #expect(try world.vault(.auditor).verify().ok)
        }
    }

    /// Revoking someone who holds no key is an error that changes nothing; the case key stays.
    @Test func revokingSomeoneWithoutTheKeyChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            let copy = try RolesRawCopy(path: try world.copyVault(to: "before"))
            let e = #expect(throws: VaultError.self) {
                try world.vault(.officer).revoke(caseID: RolesWorld.caseA, from: world[.spareInvestigator].keyID)
            }
            #expect(e?.code == .notFound)
            let now = try RolesRawCopy(path: world.vaultPath)
            #expect(try now.epoch(RolesWorld.caseA) == 0)
            #expect(try now.casePublicKey(RolesWorld.caseA) == (try copy.casePublicKey(RolesWorld.caseA)))
        }
    }

    /// `member remove` revokes everywhere at once: every case the member held rotates, and a copy
    /// taken afterwards opens nothing for them, with their identity or with the old case keys.
    @Test func removingAMemberRevokesThemFromEveryCase() throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            let gone = world[.revokee]
            let before = try RolesRawCopy(path: try world.copyVault(to: "copy-before"))
            var oldKeys: [String: BoxKeyPair] = [:]
            for c in RolesCase.allCases { oldKeys[c.id] = try #require(try before.openCaseKey(c.id, with: gone.box)) }

            try world.vault(.officer).removeMember(gone.keyID)
            // A case archived after the removal is not sealed to them either.
            let file = try world.newFile("ny.txt", "Ny anmälan.\n")
            _ = try world.vault(.registrar).archive(
                files: [file], diarienummer: "ASN 2022/0303", unit: RolesWorld.unitA, received: "2022-05-05",
                title: "Senare ärende", kind: .report)
            let after = try RolesRawCopy(path: try world.copyVault(to: "copy-after"))

            for id in try after.caseIDs() {
                let view = try after.view(id, with: gone.box)
                #expect(!view.caseKeyOpens && view.documents.isEmpty && view.title == nil, "\(id)")
                if let old = oldKeys[id] {
                    #expect(try after.epoch(id) == 1, "\(id) was not rotated")
                    for v in try after.versions(id) { #expect(try after.openVersionKey(v, with: old) == nil, "\(id)") }
                }
            }
            // The others keep their cases.
            #expect(
                try after.view(RolesWorld.caseA, with: world[.managerA].box).documents["1/1"]?.content
                    == RolesCase.a.content)
            #expect(
                try after.view(RolesWorld.caseB, with: world[.managerB].box).documents["1/1"]?.content
                    == RolesCase.b.content)
            #expect(try after.view("ASN 2022/0303", with: world[.officer].box).title == "Senare ärende")

            // They can no longer act: every operation is refused as a non-member, and logged.
            let v = try world.vault(gone)
            #expect(v.actingRole == nil)
            #expect(throws: VaultError.self) { try v.cases() }
            let refused = try rolesAuditEntries(world.vaultPath).filter {
                $0.actorKeyID == gone.keyID && $0.result == .refused
            }
            #expect(refused.map(\.action) == ["case.list"])
            #expect(refused.first?.role == nil)
            #expect(try world.vault(.auditor).verify().ok)
        }
    }

    /// The board's summaries under `member remove`: a board member who has been removed must not
    /// read, from a copy taken afterwards, a summary written afterwards — neither with their own
    /// identity nor with the board key they held before.
    @Test
    func aRemovedBoardMemberCannotReadLaterSummaries() throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            let board = world[.board]
            let before = try RolesRawCopy(path: try world.copyVault(to: "copy-before"))
            let oldBoardKey = try #require(try before.openBoardKey(with: board.box))

            try world.vault(.officer).removeMember(board.keyID)
            try world.vault(.officer).writeSummary(
                caseID: RolesWorld.caseA, text: "Skrivet efter att nämndledamoten lämnat.")
            let after = try RolesRawCopy(path: try world.copyVault(to: "copy-after"))

            #expect(try after.summaries(with: world[.officer].box).count == 1, "the officer reads the new summary")
            #expect(try after.openBoardKey(with: board.box) == nil, "the removed member still holds a board key")
            #expect(try after.summaries(with: board.box).isEmpty, "the removed member reads a later summary")
            #expect(try after.summaries(with: oldBoardKey).isEmpty, "the old board key opens a later summary")
        }
    }
}
