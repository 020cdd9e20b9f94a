import Foundation
import Testing

@testable import SarahVault

/// Issue 4's tamper acceptance, each its own case, on a real vault through the built binary:
/// edit, delete, reorder or duplicate an entry; cut the last entries; restore an older copy of
/// the vault; fork it. `audit verify` (or `audit verify --against` a checkpoint kept outside)
/// exits 1 with one error line naming the entry or the checkpoint.
@Suite struct AuditTamperCLITests {
    let h = CLITests()

    /// A vault with the story's people and case, and the auditor's view of it.
    func setUp(_ dir: TemporaryDirectory) throws -> (world: CLITests.World, auditor: CLITests.CLI) {
        let w = try h.world(dir)
        let auditor = w.cli.as(w.keys["auditor"]!.path)
        let ok = try auditor.run(["audit", "verify"])
        try #require(ok.status == 0, "the untouched vault does not verify: \(ok.err)")
        return (w, auditor)
    }

    /// Exit 1, one error line that contains `names`, no crash.
    func expectFailure(_ r: CLITests.Result, naming names: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "exit \(r.status): \(r.err)", sourceLocation: sourceLocation)
        let errors = r.errLines.filter { $0.hasPrefix("sarah-vault: error: ") }
        #expect(errors.count == 1, "stderr: \(r.err)", sourceLocation: sourceLocation)
        #expect(errors.first?.contains(names) == true, "stderr: \(r.err)", sourceLocation: sourceLocation)
        #expect(!r.err.contains("Fatal error"), sourceLocation: sourceLocation)
    }

    /// A middle entry: not one the auditor's own enrolment rests on.
    func middle(_ raw: RawVault, _ w: CLITests.World) throws -> Int64 {
        let count = try raw.auditCount()
        var k = count / 2
        if k == (try raw.memberEntrySeq(keyID: w.keys["auditor"]!.keyId)) { k += 1 }
        try #require(k > 1 && k < count - 2)
        return k
    }

    @Test func editedEntry() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let raw = try RawVault(path: w.cli.vault)
            let k = try middle(raw, w)
            try raw.dropAuditTriggers()
            var entry = try raw.auditEntry(seq: k)
            entry[entry.count / 2] ^= 0x01
            try raw.setAuditEntry(seq: k, entry)
            expectFailure(try auditor.run(["audit", "verify"]), naming: "audit entry \(k)")
        }
    }

    @Test func deletedEntry() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let raw = try RawVault(path: w.cli.vault)
            let k = try middle(raw, w)
            try raw.dropAuditTriggers()
            try raw.db.run("DELETE FROM audit WHERE seq = ?", [.integer(k)])
            expectFailure(try auditor.run(["audit", "verify"]), naming: "audit entry \(k)")
        }
    }

    @Test func reorderedEntries() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let raw = try RawVault(path: w.cli.vault)
            let k = try middle(raw, w)
            try raw.dropAuditTriggers()
            let a = try raw.auditEntry(seq: k)
            let b = try raw.auditEntry(seq: k + 1)
            try raw.setAuditEntry(seq: k, b)
            try raw.setAuditEntry(seq: k + 1, a)
            expectFailure(try auditor.run(["audit", "verify"]), naming: "audit entry \(k)")
        }
    }

    @Test func duplicatedEntryInTheMiddle() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let raw = try RawVault(path: w.cli.vault)
            let k = try middle(raw, w)
            try raw.dropAuditTriggers()
            // Make room after entry k and put a copy of it there: k, k, k+1, k+2, …
            let copy = try raw.auditEntry(seq: k)
            try raw.db.run("UPDATE audit SET seq = -seq - 1 WHERE seq > ?", [.integer(k)])
            try raw.db.run("UPDATE audit SET seq = -seq WHERE seq < 0")
            try raw.db.run("INSERT INTO audit(seq, entry) VALUES (?, ?)", [.integer(k + 1), .blob(copy)])
            expectFailure(try auditor.run(["audit", "verify"]), naming: "audit entry \(k + 1)")
        }
    }

    @Test func duplicatedEntryAtTheEnd() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let raw = try RawVault(path: w.cli.vault)
            let k = try middle(raw, w)
            let n = try raw.auditCount()
            // Appending needs no trigger dropped: the log only grows — by a replayed entry.
            try raw.db.run(
                "INSERT INTO audit(seq, entry) VALUES (?, ?)", [.integer(n), .blob(try raw.auditEntry(seq: k))])
            expectFailure(try auditor.run(["audit", "verify"]), naming: "audit entry \(n)")
        }
    }

    @Test func cutLastEntries() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            // Entries no row rests on: a chain alone cannot see them go.
            for _ in 0..<4 { try #require(try auditor.run(["audit", "log", "--json"]).status == 0) }
            let checkpoint = dir.path("kept-outside.checkpoint")
            let cp = try auditor.run(["audit", "checkpoint", "--out", checkpoint])
            try #require(cp.status == 0, "\(cp.err)")
            let raw = try RawVault(path: w.cli.vault)
            let signed = try raw.auditCount() - 1  // the checkpoint covers the entries before its own
            try raw.dropAuditTriggers()
            // the last 4 entries it covered, and its own
            try raw.db.run("DELETE FROM audit WHERE seq >= ?", [.integer(signed - 3)])
            #expect(try auditor.run(["audit", "verify"]).status == 0, "the chain alone cannot tell")
            expectFailure(
                try auditor.run(["audit", "verify", "--against", checkpoint]),
                naming: "the checkpoint of \(signed) entries")
        }
    }

    @Test func restoredOlderCopy() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let backup = dir.path("backup.sarah")
            try FileManager.default.copyItem(atPath: w.cli.vault, toPath: backup)
            // Life goes on: a read, a checkpoint kept outside.
            #expect(
                try w.cli.as(w.keys["investigator"]!.path).run(["read", CLITests.World.caseID, "--doc", "bilaga.txt"])
                    .status == 0)
            let checkpoint = dir.path("minutes.checkpoint")
            try #require(try auditor.run(["audit", "checkpoint", "--out", checkpoint]).status == 0)
            let signed = try RawVault(path: w.cli.vault).auditCount() - 1
            // Someone puts the old copy back.
            try FileManager.default.removeItem(atPath: w.cli.vault)
            try FileManager.default.copyItem(atPath: backup, toPath: w.cli.vault)
            let r = try auditor.run(["audit", "verify", "--against", checkpoint])
            expectFailure(r, naming: "the checkpoint of \(signed) entries")
            #expect(r.err.contains("older copy"), "\(r.err)")
        }
    }

    @Test func forkFromOneCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let (w, auditor) = try setUp(dir)
            let common = dir.path("common.checkpoint")
            try #require(try auditor.run(["audit", "checkpoint", "--out", common]).status == 0)
            let forkPath = dir.path("fork.sarah")
            try FileManager.default.copyItem(atPath: w.cli.vault, toPath: forkPath)
            var fork = auditor
            fork.vault = forkPath

            // The original goes on and is checkpointed again ...
            #expect(
                try w.cli.as(w.keys["investigator"]!.path).run(["read", CLITests.World.caseID, "--doc", "bilaga.txt"])
                    .status == 0)
            let later = dir.path("later.checkpoint")
            try #require(try auditor.run(["audit", "checkpoint", "--out", later]).status == 0)
            let signed = try RawVault(path: w.cli.vault).auditCount() - 1

            // ... while the copy goes on differently, past the same size.
            while try RawVault(path: forkPath).auditCount() < signed + 2 {
                try #require(try fork.run(["audit", "log", "--json"]).status == 0)
            }
            // Both extend the common checkpoint; only the later one shows the fork.
            #expect(try fork.run(["audit", "verify", "--against", common]).status == 0)
            #expect(try auditor.run(["audit", "verify", "--against", later]).status == 0)
            let r = try fork.run(["audit", "verify", "--against", later])
            expectFailure(r, naming: "the checkpoint of \(signed) entries")
            #expect(r.err.contains("forked"), "\(r.err)")
        }
    }
}
