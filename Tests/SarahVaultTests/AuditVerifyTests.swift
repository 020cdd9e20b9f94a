import Foundation
import Testing

@testable import SarahVault

/// `audit verify` on long logs (signatures checked in parallel batches, order checked in
/// sequence) and `audit verify --since-checkpoint` (issue 4, point 3): a routine check starts
/// from the tree its user last verified, yet any change before it is still found and named.
@Suite struct AuditVerifyTests {
    /// A vault whose log has `entries` entries, most appended in one transaction.
    struct LongLog {
        let dir: TemporaryDirectory
        let officer: Identity
        let path: String

        init(_ dir: TemporaryDirectory, entries: Int, file: String = "long.sarah") throws {
            self.dir = dir
            officer = try Identity.generate(name: "Olivia Officer")
            path = dir.path(file)
            let vault = try Vault.create(at: path, identity: officer)
            let n = Int(try vault.store.auditCount())
            try vault.store.writeTransaction { () throws(VaultError) in
                try vault.log.appendMany(
                    entries - n, by: officer, role: .officer, action: "member.list", detail: "count=1")
            }
        }

        func vault() throws -> Vault { try Vault.open(at: path, identity: officer) }

        /// A copy of the vault file, to tamper with.
        func copy(_ name: String) throws -> String {
            let to = dir.path(name)
            try FileManager.default.copyItem(atPath: path, toPath: to)
            return to
        }
    }

    static let longSize = 2 * EntryBatch.capacity + 300

    @Test func aLongLogVerifiesAndEachBatchBoundaryIsChecked() throws {
        try withTemporaryDirectory { dir in
            let log = try LongLog(dir, entries: Self.longSize)
            let report = try log.vault().verify()
            #expect(report.ok, "\(report.problems)")
            #expect(report.entries == Int64(Self.longSize))
            #expect(report.signaturesChecked == Int64(Self.longSize))
            #expect(report.trustedEntries == 0)
            // The root is the RFC 6962 root of the stored leaves.
            var leaves: [[UInt8]] = []
            try log.vault().store.forEachAuditEntry(from: 0) { (seq, bytes) throws(VaultError) in
                if seq < Int64(Self.longSize) { leaves.append(AuditEntry.leafHash(of: bytes)) }
            }
            #expect(report.treeRoot == Hex.encode(MerkleTree.root(leafHashes: leaves)))

            // A broken signature is named wherever it falls: either side of a batch boundary.
            let b = Int64(EntryBatch.capacity)
            for k in [1, b - 1, b, b + 1, 2 * b, Int64(Self.longSize) - 1] {
                let path = try log.copy("edited-\(k).sarah")
                let raw = try RawVault(path: path)
                try raw.dropAuditTriggers()
                var entry = try raw.auditEntry(seq: k)
                entry[entry.count - 1] ^= 0x01
                try raw.setAuditEntry(seq: k, entry)
                let bad = try Vault.open(at: path, identity: log.officer).verify()
                #expect(!bad.ok)
                #expect(bad.firstBadSeq == k, "\(bad.problems)")
                #expect(bad.problems.first?.contains("audit entry \(k)") == true, "\(bad.problems)")
            }
        }
    }

    // MARK: --since-checkpoint

    @Test func aRoutineCheckStartsFromTheLastVerifiedTree() throws {
        try withTemporaryDirectory { dir in
            let log = try LongLog(dir, entries: 300)
            let vault = try log.vault()
            // Nothing verified yet: everything is checked.
            let first = try vault.verify(sinceCheckpoint: true)
            #expect(first.ok && first.trustedEntries == 0 && first.signaturesChecked == 300)
            // The verify entry, and five more.
            for _ in 0..<5 { _ = try vault.members() }
            let routine = try vault.verify(sinceCheckpoint: true)
            #expect(routine.ok, "\(routine.problems)")
            #expect(routine.trustedEntries == 300)
            #expect(routine.signaturesChecked == 6)
            #expect(routine.entries == 306)
            // It agrees with a full check on the root.
            let full = try vault.verify()
            #expect(full.signaturesChecked == full.entries)
            #expect(full.entries == 307)
            // The check is recorded with where it started.
            let verifies = try vault.auditLog().filter { $0.action == "audit.verify" }
            #expect(verifies.map { $0.detailValue("from") } == ["0", "300", "0"])
        }
    }

    @Test func anEditBeforeTheVerifiedTreeIsStillNamed() throws {
        try withTemporaryDirectory { dir in
            let log = try LongLog(dir, entries: 200)
            let vault = try log.vault()
            #expect(try vault.verify().ok)
            _ = try vault.members()
            for k: Int64 in [5, 199] {
                let path = try log.copy("edited-\(k).sarah")
                let raw = try RawVault(path: path)
                try raw.dropAuditTriggers()
                var entry = try raw.auditEntry(seq: k)
                entry[entry.count - 1] ^= 0x01
                try raw.setAuditEntry(seq: k, entry)
                let report = try Vault.open(at: path, identity: log.officer).verify(sinceCheckpoint: true)
                #expect(!report.ok)
                #expect(report.firstBadSeq == k, "\(report.problems)")
                #expect(report.problems.contains { $0.contains("audit entry \(k)") }, "\(report.problems)")
            }
        }
    }

    @Test func aLogCutBelowTheVerifiedTreeFails() throws {
        try withTemporaryDirectory { dir in
            let log = try LongLog(dir, entries: 120)
            #expect(try log.vault().verify().ok)  // verified: 120 entries (and logs the 121st)
            let raw = try RawVault(path: log.path)
            try raw.dropAuditTriggers()
            try raw.db.run("DELETE FROM audit WHERE seq >= 110")
            // The cut tail is invisible to the chain ...
            let vault = try log.vault()
            // ... but not to the tree verified before it.
            let report = try vault.verify(sinceCheckpoint: true)
            #expect(!report.ok)
            #expect(report.startInconsistent)
            #expect(report.firstBadSeq == 110, "\(report.problems)")
            #expect(
                report.problems.first?.contains("fewer than the 120 entries you verified before") == true,
                "\(report.problems)")
            #expect(report.problems.first?.contains("cut off") == true)
        }
    }

    @Test func aRewrittenLogFailsTheRoutineCheck() throws {
        try withTemporaryDirectory { dir in
            // Two logs by the same person, of the same length: the verified tree of one does
            // not hold for the other, though each verifies on its own.
            let log = try LongLog(dir, entries: 50)
            #expect(try log.vault().verify().ok)
            let name = try log.vault().verifiedCheckpointName
            let remembered = try #require(try log.vault().store.meta(name))
            let fork = try log.copy("fork.sarah")
            let raw = try RawVault(path: fork)
            try raw.dropAuditTriggers()
            try raw.db.run("DELETE FROM audit WHERE seq >= 40")
            let other = try Vault.open(at: fork, identity: log.officer)
            try other.store.writeTransaction { () throws(VaultError) in
                try other.log.appendMany(20, by: log.officer, role: .officer, action: "case.list")
            }
            // The copy carries the tree its user verified before the fork.
            #expect(
                try raw.db.firstRow("SELECT value FROM meta WHERE name = ?", [.text(name)])?.first?.bytes == remembered)
            let report = try other.verify(sinceCheckpoint: true)
            #expect(!report.ok)
            #expect(report.startInconsistent)
            #expect(report.firstBadSeq == nil)
            #expect(report.problems == [report.problems[0]], "each copy verifies on its own: \(report.problems)")
            #expect(report.problems.first?.contains("rewritten or forked") == true, "\(report.problems)")
            #expect(try other.verify().ok)
        }
    }

    @Test func onlyYourOwnVerifiedTreeIsTrusted() throws {
        try withTemporaryDirectory { dir in
            let log = try LongLog(dir, entries: 40)
            let vault = try log.vault()
            #expect(try vault.verify().ok)
            let name = vault.verifiedCheckpointName
            let raw = try RawVault(path: log.path)
            let good = try #require(
                try raw.db.firstRow("SELECT value FROM meta WHERE name = ?", [.text(name)])?.first?.bytes)

            // Another member's routine check does not start from it.
            let auditor = try Identity.generate(name: "Agnes Auditor")
            try vault.addMember(name: "Agnes Auditor", role: .auditor, unit: nil, publicKey: auditor.publicKey)
            #expect(try Vault.open(at: log.path, identity: auditor).verify(sinceCheckpoint: true).trustedEntries == 0)

            // Swapped for one signed by someone else, altered, of another vault, or garbage:
            // ignored, and everything verified.
            let stranger = try Identity.generate(name: "Stranger")
            let note = try SignedNote(parsing: good)
            let cp = try Checkpoint(text: note.text)
            let bigger = try Checkpoint(origin: cp.origin, size: cp.size + 1, rootHash: cp.rootHash)
            // The same signature line under a text with a larger size.
            let altered = Array((bigger.text + "\n" + note.signatures.map(\.line).joined()).utf8)
            let otherVault = try Checkpoint(
                origin: "sarahvault.local/" + String(repeating: "0", count: 32), size: cp.size, rootHash: cp.rootHash)
            for forged in [
                Array(try cp.signed(by: stranger.signing).serialized.utf8), altered,
                Array(try otherVault.signed(by: log.officer.signing).serialized.utf8), Array("garbage".utf8),
            ] {
                try raw.db.run("UPDATE meta SET value = ? WHERE name = ?", [.blob(forged), .text(name)])
                let report = try vault.verify(sinceCheckpoint: true)
                #expect(report.ok, "\(report.problems)")
                #expect(report.trustedEntries == 0)
                #expect(report.signaturesChecked == report.entries)
            }
        }
    }

    @Test func aRoutineCheckRehashesOnlyNewCiphertext() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let auditor = try story.vault(.auditor)
            let full = try auditor.verify()
            #expect(full.ok && full.versionsRehashed == full.versions)
            _ = try story.vault(.officer).add(
                caseID: Story.caseID, files: [try dir.write("in/ny.txt", Array("Ny bilaga.\n".utf8))], kind: .other)
            let routine = try auditor.verify(sinceCheckpoint: true)
            #expect(routine.ok, "\(routine.problems)")
            #expect(routine.versions == full.versions + 1)
            #expect(routine.versionsRehashed == 1)
        }
    }

    // MARK: duplicated entries (the library's view; AuditTamperCLITests has the command line's)

    @Test func aDuplicatedEntryIsNamed() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let n = try raw.auditCount()
            let k = n / 2
            // Replayed at the end: only appended, the triggers do not mind.
            try raw.db.run(
                "INSERT INTO audit(seq, entry) VALUES (?, ?)", [.integer(n), .blob(try raw.auditEntry(seq: k))])
            let atEnd = try story.vault(.auditor).verify()
            #expect(!atEnd.ok)
            #expect(atEnd.firstBadSeq == n, "\(atEnd.problems)")
            #expect(atEnd.problems.first?.contains("audit entry \(n)") == true, "\(atEnd.problems)")
        }
    }
}
