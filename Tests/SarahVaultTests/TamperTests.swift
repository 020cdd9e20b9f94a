import Foundation
import Testing

@testable import SarahVault

/// Someone edits the vault file directly, as with `sqlite3`: every change to content, keys,
/// roster or log fails on read or is named by `verify()`.
@Suite struct TamperTests {
    /// Reads the big document as the officer into `out-…` and returns the error it fails with,
    /// checking that no plaintext (not even a partial file) is left behind.
    func failingRead(
        _ story: Story, caseID: String = Story.caseID, document: String = Story.bigName, version: Int64? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> VaultError? {
        let out = story.dir.path("out-tampered")
        let e = #expect(throws: VaultError.self, sourceLocation: sourceLocation) {
            try story.vault(.officer).read(caseID: caseID, document: document, version: version, to: .file(out))
        }
        #expect(
            outputs(in: story.dir, prefix: "out-").isEmpty, "plaintext left behind: \(story.dir.listing())",
            sourceLocation: sourceLocation)
        return e
    }

    static let decryptFailures: [VaultError.Code] = [.authenticationFailed, .corrupt]

    // MARK: chunks

    enum Position: String, CaseIterable, Sendable { case first, middle, last }

    @Test(arguments: Position.allCases)
    func flippedByteInAChunk(position: Position) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            #expect(try raw.chunkCount(vid: vid) == 4)
            let index: Int64 =
                switch position {
                case .first: 0
                case .middle: 2
                case .last: 3
                }
            try raw.flipChunkByte(vid: vid, index: index)
            let e = failingRead(story)
            #expect(e?.code == .authenticationFailed)
            #expect(e?.message.contains("chunk \(index)") == true, "\(e?.message ?? "")")
            // The other documents are untouched and still read.
            try story.vault(.officer).read(caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("ok")))
            #expect(try readBytes(dir.path("ok")) == story.smallV2)
        }
    }

    @Test func flippedTagByteInAOneChunkDocument() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.smallDoc, version: 1)
            let data = try raw.chunk(vid: vid, index: 0)
            try raw.flipChunkByte(vid: vid, index: 0, at: data.count - 1)
            #expect(failingRead(story, document: Story.smallName, version: 1)?.code == .authenticationFailed)
        }
    }

    @Test func droppedLastChunk() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            try raw.db.run(
                "DELETE FROM chunks WHERE vid = ? AND idx = (SELECT max(idx) FROM chunks WHERE vid = ?)",
                [.integer(vid), .integer(vid)])
            #expect(raw.db.changes == 1)
            #expect(try raw.chunkCount(vid: vid) == 3)
            let e = failingRead(story)
            #expect(e.map { Self.decryptFailures.contains($0.code) } ?? false, "\(String(describing: e))")
        }
    }

    @Test func droppedMiddleChunk() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            try raw.db.run("DELETE FROM chunks WHERE vid = ? AND idx = 1", [.integer(vid)])
            let e = failingRead(story)
            #expect(e.map { Self.decryptFailures.contains($0.code) } ?? false, "\(String(describing: e))")
        }
    }

    @Test func droppedAllButTheFirstChunk() throws {
        // The first chunk alone is a well-formed ciphertext, but not a final one.
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            try raw.db.run("DELETE FROM chunks WHERE vid = ? AND idx > 0", [.integer(vid)])
            let e = failingRead(story)
            #expect(e.map { Self.decryptFailures.contains($0.code) } ?? false, "\(String(describing: e))")
        }
    }

    @Test func twoChunksSwapped() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            let one = try raw.chunk(vid: vid, index: 1)
            let two = try raw.chunk(vid: vid, index: 2)
            #expect(one != two)
            try raw.setChunk(vid: vid, index: 1, two)
            try raw.setChunk(vid: vid, index: 2, one)
            let e = failingRead(story)
            #expect(e?.code == .authenticationFailed)
        }
    }

    @Test func chunkDuplicated() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            try raw.setChunk(vid: vid, index: 2, try raw.chunk(vid: vid, index: 1))
            let e = failingRead(story)
            #expect(e?.code == .authenticationFailed)
        }
    }

    @Test func chunkAppendedAfterTheFinalOne() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            try raw.db.run(
                "INSERT INTO chunks(vid, idx, data) VALUES (?, 4, ?)",
                [.integer(vid), .blob(try raw.chunk(vid: vid, index: 3))])
            let e = failingRead(story)
            #expect(e.map { Self.decryptFailures.contains($0.code) } ?? false, "\(String(describing: e))")
        }
    }

    // MARK: ciphertext moved

    /// How much of one version's row an attacker carries over into another.
    enum Move: String, CaseIterable, Sendable {
        /// Only the chunks.
        case chunks
        /// The chunks and the sealed version key.
        case chunksAndSealedKey
        /// Everything but the row's identity: chunks, sealed key, key commitment, hash, sizes.
        case wholeRow
    }

    /// Copies the ciphertext (and as much of the row as `move` says) of version row `from`
    /// over version row `to`.
    func move(_ move: Move, from: Int64, to: Int64, in raw: RawVault) throws {
        try raw.db.run("DELETE FROM chunks WHERE vid = ?", [.integer(to)])
        try raw.db.run(
            "INSERT INTO chunks(vid, idx, data) SELECT ?, idx, data FROM chunks WHERE vid = ?",
            [.integer(to), .integer(from)])
        switch move {
        case .chunks:
            break
        case .chunksAndSealedKey:
            try raw.db.run(
                "UPDATE versions SET sealed_key = (SELECT sealed_key FROM versions WHERE vid = ?) WHERE vid = ?",
                [.integer(from), .integer(to)])
        case .wholeRow:
            try raw.db.run(
                """
                UPDATE versions SET
                    sealed_key = (SELECT sealed_key FROM versions WHERE vid = ?1),
                    key_commit = (SELECT key_commit FROM versions WHERE vid = ?1),
                    ciphertext_hash = (SELECT ciphertext_hash FROM versions WHERE vid = ?1),
                    size = (SELECT size FROM versions WHERE vid = ?1),
                    chunks = (SELECT chunks FROM versions WHERE vid = ?1)
                WHERE vid = ?2
                """, [.integer(from), .integer(to)])
        }
    }

    @Test(arguments: Move.allCases)
    func ciphertextMovedToAnotherCase(move: Move) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let from = try raw.vid(caseID: Story.caseID, document: story.smallDoc, version: 1)
            let to = try raw.vid(caseID: Story.otherCaseID, document: story.otherDoc, version: 1)
            try self.move(move, from: from, to: to, in: raw)
            let e = failingRead(story, caseID: Story.otherCaseID, document: "\(story.otherDoc)")
            #expect(e.map { Self.decryptFailures.contains($0.code) } ?? false, "\(String(describing: e))")
            #expect(try !story.vault(.auditor).verify().ok)
        }
    }

    @Test(arguments: Move.allCases)
    func ciphertextMovedToAnotherVersion(move: Move) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let from = try raw.vid(caseID: Story.caseID, document: story.smallDoc, version: 1)
            let to = try raw.vid(caseID: Story.caseID, document: story.smallDoc, version: 2)
            try self.move(move, from: from, to: to, in: raw)
            // With the sealed key moved, the version's name is that of version 1 too, so it
            // is asked for by number.
            let e = failingRead(story, document: "\(story.smallDoc)", version: 2)
            #expect(e.map { Self.decryptFailures.contains($0.code) } ?? false, "\(String(describing: e))")
            #expect(try !story.vault(.auditor).verify().ok)
        }
    }

    /// The associated data alone keeps a ciphertext in its place: with the right version key in
    /// hand, the chunks of one version still do not open as another case's, document's,
    /// version's or vault's.
    @Test(arguments: ["case", "document", "version", "vault"])
    func chunkBindingRejectsAnotherPlace(field: String) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let vault = try story.vault(.officer)
            let c = try #require(try vault.store.caseRecord(Story.caseID))
            let caseKey = try #require(try vault.openCaseKey(c))
            var v = try #require(
                try vault.store.versions(caseID: Story.caseID).first { $0.document == story.bigDoc && $0.version == 1 })
            var vaultID = vault.vaultID
            let reader = DocumentReader(store: vault.store, vaultID: vaultID)
            let opened = try reader.openKey(v, caseKey: caseKey)

            var plain: [UInt8] = []
            try reader.read(v, opened: opened) { (p) throws(VaultError) in plain += Array(p) }
            #expect(plain == story.big)

            switch field {
            case "case": v.caseID = Story.otherCaseID
            case "document": v.document = story.smallDoc
            case "version": v.version = 2
            default: vaultID[0] ^= 1
            }
            var released = 0
            let e = #expect(throws: VaultError.self) {
                try DocumentReader(store: vault.store, vaultID: vaultID).read(v, opened: opened) {
                    (p) throws(VaultError) in released += p.count
                }
            }
            #expect(e?.code == .authenticationFailed)
            #expect(released == 0)
        }
    }

    // MARK: the audit log

    /// A middle entry to tamper with: not one the auditor's own roster row rests on.
    func middleSeq(_ raw: RawVault, _ story: Story) throws -> Int64 {
        let count = try raw.auditCount()
        var k = count / 2
        let auditorSeq = try raw.memberEntrySeq(keyID: story.auditor.keyID)
        if k == auditorSeq { k += 1 }
        try #require(k > 0 && k < count - 1)
        return k
    }

    enum EntryField: String, CaseIterable, Sendable {
        case magic, seq, time, result, action, signature
        /// Offsets in the layout of `AuditEntry`.
        func offset(in entry: [UInt8]) -> Int {
            switch self {
            case .magic: return 0
            case .seq: return 4 + 1 + 16 + 7
            case .time: return 4 + 1 + 16 + 8 + 7
            case .result: return 4 + 1 + 16 + 8 + 8 + 8 + 32 + 1
            case .action: return 4 + 1 + 16 + 8 + 8 + 8 + 32 + 1 + 1 + 1
            case .signature: return entry.count - 1
            }
        }
    }

    @Test(arguments: EntryField.allCases)
    func editedAuditEntryIsNamed(field: EntryField) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let k = try middleSeq(raw, story)
            try raw.dropAuditTriggers()
            var entry = try raw.auditEntry(seq: k)
            entry[field.offset(in: entry)] ^= 0x01
            try raw.setAuditEntry(seq: k, entry)
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.firstBadSeq == k)
            #expect(report.problems.first?.contains("audit entry \(k)") == true, "\(report.problems)")
        }
    }

    @Test func deletedAuditEntryIsNamed() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let k = try middleSeq(raw, story)
            try raw.dropAuditTriggers()
            try raw.db.run("DELETE FROM audit WHERE seq = ?", [.integer(k)])
            #expect(raw.db.changes == 1)
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.firstBadSeq == k)
            #expect(report.problems.first?.contains("audit entry \(k)") == true, "\(report.problems)")
        }
    }

    @Test func deletedLastAuditEntriesAreNotHiddenFromAChainOnlyCheck() throws {
        // Without the triggers, the tail of the log can be cut. A chain alone cannot notice
        // (that is what checkpoints are for), but an entry the vault's rows rest on can.
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let otherCaseEntry = try #require(
                try raw.db.firstRow("SELECT created_seq FROM cases WHERE case_id = ?", [.text(Story.otherCaseID)])?
                    .first?.int)
            try raw.dropAuditTriggers()
            try raw.db.run("DELETE FROM audit WHERE seq >= ?", [.integer(otherCaseEntry)])
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.problems.contains { $0.contains(Story.otherCaseID) }, "\(report.problems)")
        }
    }

    @Test func reorderedAuditEntriesAreNamed() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let k = try middleSeq(raw, story)
            try raw.dropAuditTriggers()
            let a = try raw.auditEntry(seq: k)
            let b = try raw.auditEntry(seq: k + 1)
            try raw.setAuditEntry(seq: k, b)
            try raw.setAuditEntry(seq: k + 1, a)
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.firstBadSeq == k)
            #expect(report.problems.first?.contains("audit entry \(k)") == true, "\(report.problems)")
        }
    }

    @Test func untouchedVaultVerifies() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let report = try story.vault(.auditor).verify()
            #expect(report.ok, "\(report.problems)")
            #expect(report.firstBadSeq == nil)
            #expect(report.cases == 2)
            // The case records (document 0) count as versions too.
            #expect(report.versions == 6)
        }
    }

    // MARK: stored ciphertext, checked without a key

    enum Replacement: String, CaseIterable, Sendable { case flippedByte, randomChunk, droppedChunk }

    @Test(arguments: Replacement.allCases)
    func replacedCiphertextIsNamedWithoutAKey(replacement: Replacement) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            // The auditor holds no content key to any case.
            for c in [Story.caseID, Story.otherCaseID] {
                #expect(try !raw.caseKeyHolders(caseID: c).contains(story.auditor.keyID))
            }
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            switch replacement {
            case .flippedByte:
                try raw.flipChunkByte(vid: vid, index: 1)
            case .randomChunk:
                let n = try raw.chunk(vid: vid, index: 1).count
                try raw.setChunk(vid: vid, index: 1, (0..<n).map { _ in UInt8.random(in: 0...255) })
            case .droppedChunk:
                try raw.db.run("DELETE FROM chunks WHERE vid = ? AND idx = 3", [.integer(vid)])
            }
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            let label = "case \(Story.caseID) document \(story.bigDoc) version 1"
            #expect(report.problems.count == 1, "\(report.problems)")
            #expect(report.problems.first?.contains(label) == true, "\(report.problems)")
        }
    }

    // MARK: roster and keys

    @Test func editedMemberRoleIsCaught() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            try raw.db.run(
                "UPDATE members SET role = 'officer' WHERE key_id = ?", [.text(story.registrar.keyID)])
            #expect(raw.db.changes == 1)

            // The promoted registrar cannot act with the forged role.
            let e = #expect(throws: VaultError.self) {
                let vault = try story.vault(.registrar)
                try vault.read(caseID: Story.caseID, document: Story.bigName, to: .file(dir.path("out-forged")))
            }
            #expect(e?.code == .corrupt)
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            #expect(throws: VaultError.self) {
                try story.vault(.registrar).addMember(
                    name: "Insider", role: .officer, unit: nil, publicKey: try Identity.generate(name: "I").publicKey)
            }

            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.problems.contains { $0.contains(story.registrar.keyID) }, "\(report.problems)")
        }
    }

    @Test func movedCaseKeyDoesNotOpenForItsNewHolder() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            try raw.db.run(
                "UPDATE case_keys SET key_id = ? WHERE case_id = ? AND key_id = ?",
                [.text(story.managerB.keyID), .text(Story.caseID), .text(story.investigator.keyID)])
            #expect(raw.db.changes == 1)

            let out = dir.path("out-moved-key")
            let e = #expect(throws: VaultError.self) {
                try story.vault(.managerB).read(caseID: Story.caseID, document: Story.bigName, to: .file(out))
            }
            #expect(e?.code == .authenticationFailed)
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            // Nor does it give them the case's sealed fields.
            #expect(throws: VaultError.self) { try story.vault(.managerB).show(caseID: Story.caseID) }
            // And the investigator it was taken from is now simply without a key.
            let refused = #expect(throws: VaultError.self) {
                try story.vault(.investigator).read(caseID: Story.caseID, document: Story.bigName, to: .file(out))
            }
            #expect(refused?.code == .refused)
        }
    }

    @Test
    func movedCaseKeyIsReportedByVerify() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            try raw.db.run(
                "UPDATE case_keys SET key_id = ? WHERE case_id = ? AND key_id = ?",
                [.text(story.managerB.keyID), .text(Story.caseID), .text(story.investigator.keyID)])
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.problems.contains { $0.contains(Story.caseID) }, "\(report.problems)")
        }
    }

    /// Rows that no signature covers today. Each edit below changes what the vault says (a size,
    /// a kind, a status, who is a member, who holds a key) and `verify()` reports nothing.
    static let unsignedEdits: [String] = [
        "UPDATE versions SET size = size + 1 WHERE doc = 1",
        "UPDATE documents SET kind = 'decision' WHERE doc = 1",
        "UPDATE cases SET status = 'closed'",
        "UPDATE members SET removed_seq = 99 WHERE role = 'investigator'",
        "DELETE FROM case_keys WHERE key_id IN (SELECT key_id FROM members WHERE role = 'investigator')",
    ]

    @Test(arguments: unsignedEdits)
    func unsignedRowEditIsReportedByVerify(sql: String) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            try raw.db.execute(sql)
            #expect(raw.db.changes > 0)
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok, "\(sql)")
        }
    }
}
