import Foundation
import Testing

@testable import SarahVault

/// A stolen vault file leaks nothing confidential: secrets are planted in every place a person
/// can put them (document text, title, unit, member names, file names) and the raw bytes of
/// the vault file and its WAL are searched for them.
@Suite struct PlaintextLeakTests {
    /// The vault file and every SQLite companion of it (`-wal`, `-shm`, `-journal`).
    func vaultFiles(_ dir: TemporaryDirectory, _ vaultName: String = "vault.sarah") -> [String] {
        dir.listing().filter { $0.hasPrefix(vaultName) }.map { dir.path($0) }
    }

    /// The secrets (UTF-8) found in any of `files`, as "secret in file".
    func leaks(of secrets: [String], in files: [String]) throws -> [String] {
        var found: [String] = []
        for f in files {
            let bytes = try readBytes(f)
            for s in secrets where contains(bytes, Array(s.utf8)) {
                found.append("\(s.debugDescription) in \((f as NSString).lastPathComponent)")
            }
        }
        return found
    }

    @Test func theSearchFindsWhatIsThere() throws {
        // The search itself must be able to fail: a secret in clear in a file is found.
        try withTemporaryDirectory { dir in
            let f = try dir.write("vault.sarah", Array("xx\(Story.personnummer)yy \(Story.unitA)".utf8))
            #expect(try leaks(of: [Story.personnummer, Story.unitA, Story.title], in: [f]).count == 2)
        }
    }

    @Test func storyVaultHoldsNoSecretInClear() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            // While a connection is open the newest pages may live only in a WAL or journal
            // beside the file: keep one open and search every companion file too.
            let open = try story.vault(.officer)
            _ = try open.cases()
            let files = vaultFiles(dir)
            #expect(files.contains(story.vaultPath))
            #expect(try leaks(of: Story.secrets, in: files) == [])
            // The secrets really were archived (and read back) — the search was not vacuous.
            let shown = try open.show(caseID: Story.caseID)
            #expect(shown.title == Story.title)
            #expect(shown.unit == Story.unitA)
            #expect(try open.members().map(\.name).sorted() == Story.memberNames.values.sorted())
            // The public identifiers stay readable, as the design says they may.
            let all = try files.map(readBytes)
            #expect(all.contains { contains($0, Array(Story.caseID.utf8)) })
        }
    }

    @Test func storyVaultHoldsNoSecretAfterItIsClosed() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            do {
                let v = try story.vault(.investigator)
                try v.read(caseID: Story.caseID, document: Story.bigName, to: .file(dir.path("read-out")))
            }
            // The last connection is gone: whatever a WAL held is now in the main file.
            let files = vaultFiles(dir)
            #expect(try leaks(of: Story.secrets, in: files) == [])
        }
    }

    /// One document alone in a fresh vault: sizes on both sides of the chunk boundary.
    @Test(arguments: [
        1, 100, ChunkedCipher.chunkSize - 1, ChunkedCipher.chunkSize, ChunkedCipher.chunkSize + 1,
        3 * ChunkedCipher.chunkSize + 17,
    ])
    func singleDocumentVaultHoldsNoSecretInClear(size: Int) throws {
        try withTemporaryDirectory { dir in
            let officer = try Identity.generate(name: Story.memberNames[.officer]!)
            let vault = try Vault.create(at: dir.path("vault.sarah"), identity: officer, unit: Story.unitB)
            // Short documents hold only part of the text: plant what fits, all of it when it does.
            let text = Story.document(size: max(size, 1), seed: "enkel")
            let file = try dir.write("in/\(Story.bigName)", text)
            _ = try vault.archive(
                files: [file], diarienummer: Story.caseID, unit: Story.unitA, received: Story.received,
                title: Story.title, allowPersonnummer: true)
            let planted = Story.secrets.filter { s in
                contains(text, Array(s.utf8)) || [Story.title, Story.unitA, Story.unitB, Story.bigName].contains(s)
                    || s == Story.memberNames[.officer]!
            }
            #expect(planted.contains(Story.title))
            if size > 1000 { #expect(planted.contains(Story.personnummer) && planted.contains(Story.phrase)) }
            // The vault is still open: any journal or WAL beside it is searched too. The files
            // do hold what was archived (the public diarienummer is found), so the search sees it.
            let files = vaultFiles(dir)
            #expect(try files.map(readBytes).contains { contains($0, Array(Story.caseID.utf8)) })
            #expect(try leaks(of: planted, in: files) == [])

            try vault.read(caseID: Story.caseID, to: .file(dir.path("back")))
            #expect(try readBytes(dir.path("back")) == text)
        }
    }

    @Test func errorMessagesCarryNoSecret() throws {
        // Refusals and failures name identifiers only.
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            var messages: [String] = []
            for person in [StoryPerson.registrar, .auditor, .board, .managerB] {
                do {
                    try story.vault(person).read(
                        caseID: Story.caseID, document: Story.bigName, to: .file(dir.path("x")))
                } catch let error as VaultError {
                    messages.append(error.message + " " + error.hints.joined(separator: " "))
                }
            }
            do {
                try story.vault(.officer).read(caseID: Story.caseID, document: "no-such", to: .file(dir.path("x")))
            } catch let error as VaultError {
                messages.append(error.message + " " + error.hints.joined(separator: " "))
            }
            #expect(messages.count == 5)
            for m in messages {
                for s in Story.secrets { #expect(!m.contains(s), "\(m) names \(s)") }
            }
        }
    }
}
