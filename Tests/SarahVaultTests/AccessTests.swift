import Foundation
import Testing

@testable import SarahVault

/// Who may read a case: the policy of issue 2 (officers, the unit's managers and investigators
/// read; registrar, auditor, board and other units' managers are refused), every refusal in
/// the log, and nothing released on a refusal.
@Suite struct AccessTests {
    @Test(arguments: StoryPerson.allCases)
    func readingTheCase(person: StoryPerson) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let who = story[person]
            let out = dir.path("out-read")

            if person.readsUnitACase {
                try story.vault(who).read(caseID: Story.caseID, document: Story.bigName, to: .file(out))
                #expect(try readBytes(out) == story.big)
                try story.vault(who).read(
                    caseID: Story.caseID, document: Story.smallName, version: 1, to: .file(out + "-v1"))
                #expect(try readBytes(out + "-v1") == story.small)
                try story.vault(who).read(caseID: Story.caseID, document: Story.smallName, to: .file(out + "-v2"))
                #expect(try readBytes(out + "-v2") == story.smallV2)

                let granted = try story.vault(.officer).auditLog(caseID: Story.caseID).filter {
                    $0.action == "document.read" && $0.actorKeyID == who.keyID
                }
                #expect(granted.count == 3)
                #expect(granted.allSatisfy { $0.result == .granted && $0.role == person.role })
                #expect(granted.first?.document == story.bigDoc)
                #expect(granted.first?.version == 1)
            } else {
                let e = #expect(throws: VaultError.self) {
                    try story.vault(who).read(caseID: Story.caseID, document: Story.bigName, to: .file(out))
                }
                #expect(e?.code == .refused)
                for secret in Story.secrets {
                    #expect(e.map { !$0.message.contains(secret) } ?? false, "the refusal names \(secret)")
                }
                #expect(outputs(in: dir, prefix: "out-").isEmpty, "a refused read left \(dir.listing())")

                let refusals = try story.vault(.officer).auditLog().filter {
                    $0.action == "document.read" && $0.result == .refused
                }
                #expect(refusals.count == 1)
                let r = try #require(refusals.first)
                #expect(r.actorKeyID == who.keyID)
                #expect(r.role == person.role)
                #expect(r.caseID == Story.caseID)
            }
            // Granted or refused, the log still verifies.
            #expect(try story.vault(.auditor).verify().ok)
        }
    }

    @Test func aNonMemberIsRefusedAndLogged() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let stranger = try Identity.generate(name: "Främling Utanförsson")
            let vault = try story.vault(stranger)
            #expect(vault.actingRole == nil)
            let out = dir.path("out-stranger")
            let e = #expect(throws: VaultError.self) {
                try vault.read(caseID: Story.caseID, document: Story.bigName, to: .file(out))
            }
            #expect(e?.code == .refused)
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            // Nor may they list the cases or read the log.
            #expect(throws: VaultError.self) { try vault.cases() }
            #expect(throws: VaultError.self) { try vault.auditLog() }

            let log = try story.vault(.officer).auditLog()
            let read = log.filter { $0.actorKeyID == stranger.keyID && $0.action == "document.read" }
            #expect(read.count == 1)
            #expect(read.first?.result == .refused)
            #expect(read.first?.role == nil)
            #expect(read.first?.caseID == Story.caseID)
            let others = log.filter { $0.actorKeyID == stranger.keyID && $0.action != "document.read" }
            #expect(others.count == 2)
            #expect(others.allSatisfy { $0.result == .refused })
            #expect(try story.vault(.auditor).verify().ok)
        }
    }

    @Test func withoutTheCaseKeyTheConfidentialFieldsStaySealed() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            for person in [StoryPerson.registrar, .auditor, .managerB] {
                let detail = try story.vault(person).show(caseID: Story.caseID)
                #expect(detail.access == false, "\(person)")
                #expect(detail.title == nil, "\(person)")
                #expect(detail.unit == nil, "\(person)")
                #expect(detail.documents.allSatisfy { $0.name == nil }, "\(person)")
                #expect(detail.documents.count == 2)
                let summary = try story.vault(person).cases().first { $0.case == Story.caseID }
                #expect(summary?.title == nil && summary?.unit == nil && summary?.access == false, "\(person)")
            }
            let officerView = try story.vault(.officer).show(caseID: Story.caseID)
            #expect(officerView.title == Story.title)
            #expect(officerView.unit == Story.unitA)
            #expect(officerView.documents.compactMap(\.name).sorted() == [Story.bigName, Story.smallName].sorted())
            #expect(officerView.documents.first { $0.id == story.smallDoc }?.versions.count == 2)
        }
    }

    @Test func theBoardMayNotEvenSeeTheRegistry() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let e = #expect(throws: VaultError.self) { try story.vault(.board).cases() }
            #expect(e?.code == .refused)
            let logged = try story.vault(.officer).auditLog().filter {
                $0.actorKeyID == story.board.keyID && $0.action == "case.list"
            }
            #expect(logged.map(\.result) == [.refused])
        }
    }

    @Test func onlyOfficersMayEnrol() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let newcomer = try Identity.generate(name: "Ny Person")
            for person in StoryPerson.allCases where person != .officer {
                let e = #expect(throws: VaultError.self) {
                    try story.vault(person).addMember(
                        name: "Ny Person", role: .officer, unit: nil, publicKey: newcomer.publicKey)
                }
                #expect(e?.code == .refused, "\(person)")
            }
            #expect(try story.vault(.officer).members().count == StoryPerson.allCases.count)
            let refusals = try story.vault(.officer).auditLog().filter {
                $0.action == "member.add" && $0.result == .refused
            }
            #expect(refusals.count == StoryPerson.allCases.count - 1)
        }
    }
}
