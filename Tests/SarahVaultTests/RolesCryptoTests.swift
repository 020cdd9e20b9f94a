import Foundation
import Testing

@testable import SarahVault

/// Issue 3, acceptance 2: the cryptography matches the policy. For each role, with only that
/// role's identity and a raw copy of the vault file (SQL and libsodium, as docs/FORMAT.md
/// describes them; no `Vault` call on the copy), exactly the allowed fields and documents
/// decrypt: the case record's title and unit, document names and contents where the person
/// holds the case key (and the policy lets them read content), the board summaries where the
/// policy lets them read those — and nothing else.
@Suite struct RolesCryptoTests {
    static let summaryA = "Avvikelse i nattbemanningen; rutinen för larmkontroll har skärpts."

    /// The fixture plus a board summary of case A, copied byte for byte.
    static func copy(in dir: TemporaryDirectory, for actor: RolesActor) throws -> (RolesWorld, RolesRawCopy) {
        let world = try RolesWorld(in: dir)
        #expect(try world.vault(.officer).writeSummary(caseID: RolesWorld.caseA, text: summaryA) == 1)
        let path = try world.copyVault(to: "copy-\(actor)")
        return (world, try RolesRawCopy(path: path))
    }

    @Test(arguments: RolesActor.allCases)
    func aRawCopyOpensExactlyWhatThePolicyAllows(actor: RolesActor) throws {
        try withTemporaryDirectory { dir in
            let (world, raw) = try Self.copy(in: dir, for: actor)
            let box = world[actor].box
            #expect(try raw.caseIDs() == RolesCase.allCases.map(\.id).sorted())

            for c in RolesCase.allCases {
                let view = try raw.view(c.id, with: box)
                let entitled = actor.allowed(.readContent) && actor.holdsKey(c)
                let label = "\(actor.rawValue) · \(c.testDescription)"
                // The second gate never opens what the first forbids.
                #expect(!view.caseKeyOpens || actor.allowed(.readContent), "\(label): holds a key the policy forbids")
                #expect(view.caseKeyOpens == entitled, "\(label): case key opens = \(view.caseKeyOpens)")
                if entitled {
                    #expect(view.title == c.title, "\(label)")
                    #expect(view.unit == c.unit, "\(label)")
                    #expect(view.documents.count == 1, "\(label)")
                    #expect(view.documents["1/1"]?.name == c.documentName, "\(label)")
                    #expect(view.documents["1/1"]?.content == c.content, "\(label)")
                    #expect(view.sealedVersions == 0, "\(label)")
                } else {
                    #expect(view.title == nil, "\(label): title decrypted")
                    #expect(view.unit == nil, "\(label): unit decrypted")
                    #expect(view.documents.isEmpty, "\(label): \(view.documents.count) documents decrypted")
                    #expect(view.sealedVersions == 2, "\(label): record and document stay sealed")
                }
            }

            // Board summaries: exactly the roles allowed to read them (the board and officers).
            let summaries = try raw.summaries(with: box)
            if actor.allowed(.readBoardSummaries) {
                #expect(summaries == ["\(RolesWorld.caseA)/1": Self.summaryA], "\(actor.rawValue)")
            } else {
                #expect(summaries.isEmpty, "\(actor.rawValue) decrypted a board summary")
            }
        }
    }

    /// The board in particular: from a copy, its key opens the summaries and nothing of any
    /// case — no case key, no record, no document, not even its name.
    @Test func theBoardDecryptsTheSummariesAndNothingElse() throws {
        try withTemporaryDirectory { dir in
            let (world, raw) = try Self.copy(in: dir, for: .board)
            let board = world[.board].box
            #expect(try raw.openBoardKey(with: board) != nil)
            #expect(try raw.summaries(with: board).values.sorted() == [Self.summaryA])
            for c in RolesCase.allCases {
                #expect(try raw.openCaseKey(c.id, with: board) == nil)
                // The board key itself opens no case key or document key either.
                let boardKey = try #require(try raw.openBoardKey(with: board))
                #expect(try raw.openCaseKey(c.id, with: boardKey) == nil)
                for v in try raw.versions(c.id) { #expect(try raw.openVersionKey(v, with: boardKey) == nil) }
            }
            // And through the library the board sees the summary, not the registry.
            #expect(try world.vault(.board).summaries().map(\.summary) == [Self.summaryA])
            #expect(throws: VaultError.self) { try world.vault(.board).cases() }
        }
    }

    /// The recovery key is a holder of every case key and of the board key: from a raw copy it
    /// opens everything (that is its purpose, and why it is kept offline).
    @Test func theRecoveryKeyOpensEveryCaseFromACopy() throws {
        try withTemporaryDirectory { dir in
            let (world, raw) = try Self.copy(in: dir, for: .officer)
            let recovery = try RecoveryKey(text: world.recoveryText).identity.box
            for c in RolesCase.allCases {
                let view = try raw.view(c.id, with: recovery)
                #expect(view.title == c.title)
                #expect(view.documents["1/1"]?.content == c.content)
            }
            #expect(try raw.summaries(with: recovery).count == 1)
        }
    }

    /// Member names and units (the roster profiles) are personal data of staff. The roles that
    /// may list members can open them from a copy; those that may not, cannot.
    @Test(arguments: RolesActor.allCases.filter { $0 != .board })
    func rosterProfilesOpenExactlyForThoseWhoMayListMembers(actor: RolesActor) throws {
        try withTemporaryDirectory { dir in
            let (world, raw) = try Self.copy(in: dir, for: actor)
            let profiles = try raw.memberProfiles(with: world[actor].box)
            if actor.allowed(.listMembers) {
                #expect(profiles?[world[.managerA].keyID] == RolesActor.managerA.name, "\(actor.rawValue)")
                #expect(profiles?.count == RolesActor.allCases.count - 1 + RolesExtra.allCases.count)
            } else {
                #expect(profiles == nil, "\(actor.rawValue) opens the roster")
            }
        }
    }

    /// The board may not list members (`Policy.default`: board has only read-board-summaries),
    /// yet every member, the board included, is sealed the roster key at enrolment
    /// (`Roster.enrol`), so a copy of the file gives the board every member's name and unit.
    @Test
    func theBoardCannotOpenTheRoster() throws {
        try withTemporaryDirectory { dir in
            let (world, raw) = try Self.copy(in: dir, for: .board)
            #expect(!RolesActor.board.allowed(.listMembers))
            #expect(try raw.memberProfiles(with: world[.board].box) == nil)
            #expect(throws: VaultError.self) { try world.vault(.board).members() }
        }
    }

    /// None of the confidential fields is in the copy in clear (for the raw reads above to mean
    /// anything, the content must not simply be lying there).
    @Test func theCopyHoldsNoConfidentialFieldInClear() throws {
        try withTemporaryDirectory { dir in
            let (world, _) = try Self.copy(in: dir, for: .auditor)
            let bytes = try readBytes(world.dir.path("copy-\(RolesActor.auditor)"))
            var secrets = [Self.summaryA, "nattbemanningen"] + RolesActor.allCases.map(\.name)
            for c in RolesCase.allCases {
                secrets += [c.title, c.unit, c.documentName, String(decoding: c.content, as: UTF8.self)]
            }
            for s in secrets { #expect(!contains(bytes, Array(s.utf8)), "\(s) is in the file in clear") }
            // The registry fields are, on purpose.
            #expect(contains(bytes, Array(RolesWorld.caseA.utf8)))
            #expect(contains(bytes, Array(RolesWorld.receivedA.utf8)))
        }
    }
}
