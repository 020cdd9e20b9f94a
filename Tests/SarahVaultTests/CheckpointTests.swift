import Foundation
import Testing

@testable import SarahVault

/// A private directory for one test, removed afterwards.
private func inScratchDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sarahvault-cp-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// Copies a vault file as a backup would: the database and, if there is one, its WAL.
private func copyVault(_ from: String, to: String) throws {
    try FileManager.default.copyItem(atPath: from, toPath: to)
    if FileManager.default.fileExists(atPath: from + "-wal") {
        try FileManager.default.copyItem(atPath: from + "-wal", toPath: to + "-wal")
    }
}

/// The stored log's leaf hashes, read straight from the store.
private func leafHashes(_ vault: Vault) throws -> [[UInt8]] {
    var out: [[UInt8]] = []
    try vault.store.forEachAuditEntry(from: 0) { (_, bytes) throws(VaultError) in
        out.append(AuditEntry.leafHash(of: bytes))
    }
    return out
}

/// A few more audited actions (each appends at least one entry).
private func act(_ vault: Vault, times: Int = 1) throws {
    for _ in 0..<times { _ = try vault.members() }
}

@Suite struct CheckpointTests {
    @Test func checkpointRoundTripOnARealVault() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let vault = try Vault.create(at: dir + "/v.sarah", identity: officer)
            try act(vault, times: 3)
            let before = try leafHashes(vault)

            let text = try vault.checkpoint()
            let note = try SignedNote(parsing: Array(text.utf8))
            let cp = try Checkpoint(text: note.text)
            #expect(cp.origin == "sarahvault.local/" + vault.id)
            #expect(vault.checkpointOrigin == cp.origin)
            #expect(cp.size == Int64(before.count))
            #expect(cp.rootHash == MerkleTree.root(leafHashes: before))
            #expect(cp.extensionLines.isEmpty)
            #expect(note.signatures.count == 1)
            #expect(note.signatures.first?.name == cp.origin)

            // A standard signed-note verifier with the printed verifier key accepts it.
            let vkey = try SignedNote.Verifier(parsing: try vault.checkpointVerifierKey())
            #expect(vkey.publicKey == officer.publicKey.signingKey)
            #expect(try note.verify(by: [vkey]) == [vkey])

            // The checkpoint is recorded as the next entry, naming its size and root.
            let log = try vault.auditLog()
            let recorded = try #require(log.first { $0.action == "audit.checkpoint" })
            #expect(recorded.seq == cp.size)
            #expect(recorded.detail == "size=\(cp.size) root=\(Hex.encode(cp.rootHash))")

            let report = try vault.verify(against: text)
            #expect(report.ok, "\(report.message)")
            #expect(report.finding == .consistent)
            #expect(report.signers == [officer.keyID])
            #expect(report.checkpointSize == cp.size)
            #expect(report.logSize > cp.size)
            #expect(
                report.logRoot
                    == Hex.encode(MerkleTree.root(leafHashes: Array(try leafHashes(vault).prefix(Int(report.logSize)))))
            )
            #expect(!report.consistencyProof.isEmpty)
            #expect(report.message.contains("consistent"))

            // The whole vault still verifies, checkpoint entries and all.
            #expect(try vault.verify().ok)
        }
    }

    @Test func anyMemberWithTheRightMaySignAndTrustIsConfigurable() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let auditor = try Identity.generate(name: "Astrid Auditor")
            let path = dir + "/v.sarah"
            let vault = try Vault.create(at: path, identity: officer)
            try vault.addMember(name: "Astrid Auditor", role: .auditor, unit: nil, publicKey: auditor.publicKey)
            let auditorText = try Vault.open(at: path, identity: auditor).checkpoint()

            let byMembers = try vault.verify(against: auditorText)
            #expect(byMembers.ok, "\(byMembers.message)")
            #expect(byMembers.signers == [auditor.keyID])

            let onlyOfficer = try vault.verify(against: auditorText, trustedKeys: [officer.publicKey])
            #expect(onlyOfficer.finding == .untrusted)
            #expect(onlyOfficer.message.contains("not signed by a key you named"))

            let named = try vault.verify(against: auditorText, trustedKeys: [auditor.publicKey])
            #expect(named.ok)
        }
    }

    @Test func aNonMemberIsRefusedAndLogged() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let stranger = try Identity.generate(name: "Stranger")
            let path = dir + "/v.sarah"
            let vault = try Vault.create(at: path, identity: officer)
            let text = try vault.checkpoint()
            let theirs = try Vault.open(at: path, identity: stranger)
            #expect(throws: VaultError.self) { try theirs.checkpoint() }
            #expect(throws: VaultError.self) { try theirs.verify(against: text) }
            let refusals = try vault.auditLog().filter { $0.result == .refused && $0.actorKeyID == stranger.keyID }
            #expect(refusals.map(\.action) == ["audit.checkpoint", "audit.verify"])
        }
    }

    @Test func aTruncatedOrRolledBackLogFails() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let path = dir + "/v.sarah"
            let old = dir + "/old-copy.sarah"
            do {
                let vault = try Vault.create(at: path, identity: officer)
                try act(vault, times: 2)
            }
            try copyVault(path, to: old)  // the backup someone will later restore
            let vault = try Vault.open(at: path, identity: officer)
            try act(vault, times: 3)
            let text = try vault.checkpoint()
            let signedSize = try Checkpoint(text: try SignedNote(parsing: Array(text.utf8)).text).size

            let restored = try Vault.open(at: old, identity: officer)
            let before = try restored.store.auditCount()
            let report = try restored.verify(against: text)
            #expect(!report.ok)
            #expect(report.finding == .truncated)
            #expect(report.logSize == before)
            #expect(report.checkpointSize == signedSize)
            #expect(report.message.contains("cut off"))
            #expect(report.message.contains("rolled back"))
            #expect(report.message.contains("\(signedSize)"))

            // The original still verifies.
            #expect(try vault.verify(against: text).ok)
        }
    }

    @Test func cuttingTheTailWithSQLFails() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let path = dir + "/v.sarah"
            let text: String
            do {
                let vault = try Vault.create(at: path, identity: officer)
                try act(vault, times: 4)
                text = try vault.checkpoint()
            }
            // Someone with sqlite3 removes the newest three entries, triggers and all.
            do {
                let raw = try SQLiteDatabase(path: path, create: false)
                try raw.execute("DROP TRIGGER IF EXISTS audit_no_delete")
                try raw.execute("DELETE FROM audit WHERE seq >= (SELECT max(seq) - 2 FROM audit)")
            }
            let report = try Vault.open(at: path, identity: officer).verify(against: text)
            #expect(report.finding == .truncated, "\(report.message)")
        }
    }

    @Test func aForkedLogFails() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let path = dir + "/v.sarah"
            let fork = dir + "/fork.sarah"
            do {
                let vault = try Vault.create(at: path, identity: officer)
                try act(vault)
            }
            try copyVault(path, to: fork)

            // The original goes on and is checkpointed ...
            let vault = try Vault.open(at: path, identity: officer)
            try act(vault, times: 2)
            let text = try vault.checkpoint()
            let signedSize = try Checkpoint(text: try SignedNote(parsing: Array(text.utf8)).text).size

            // ... while the copy goes on differently, to at least the same size.
            let other = try Vault.open(at: fork, identity: officer)
            while try other.store.auditCount() < signedSize + 2 { _ = try other.auditLog() }
            let report = try other.verify(against: text)
            #expect(!report.ok)
            #expect(report.finding == .forked)
            #expect(report.message.contains("first \(signedSize) entries"))
            #expect(report.consistencyProof.isEmpty)
            // Each copy on its own still verifies: only the checkpoint shows the fork.
            #expect(try other.verify().ok)
        }
    }

    @Test func anEditedEntryBeforeTheCheckpointIsCaught() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let path = dir + "/v.sarah"
            let text: String
            do {
                let vault = try Vault.create(at: path, identity: officer)
                try act(vault, times: 3)
                text = try vault.checkpoint()
            }
            do {
                let raw = try SQLiteDatabase(path: path, create: false)
                try raw.execute("DROP TRIGGER IF EXISTS audit_no_update")
                let row = try #require(try raw.firstRow("SELECT entry FROM audit WHERE seq = 2"))
                var bytes = try #require(row.first?.bytes)
                bytes[bytes.count - 1] ^= 1  // the signature's last byte
                try raw.run("UPDATE audit SET entry = ? WHERE seq = 2", [.blob(bytes)])
            }
            let report = try Vault.open(at: path, identity: officer).verify(against: text)
            #expect(!report.ok)
            #expect(report.finding == .brokenLog, "\(report.message)")
            #expect(report.message.contains("audit entry 3"))
        }
    }

    @Test func aCheckpointOfAnotherVaultOrAlteredOneFails() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let a = try Vault.create(at: dir + "/a.sarah", identity: officer)
            let b = try Vault.create(at: dir + "/b.sarah", identity: officer)
            let textA = try a.checkpoint()
            #expect(try b.verify(against: textA).finding == .otherLog)

            // An edited size, root or origin breaks the signature (or names another log).
            let lines = textA.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var biggerSize = lines
            biggerSize[1] = String((Int(lines[1]) ?? 0) + 1)
            #expect(try a.verify(against: biggerSize.joined(separator: "\n")).finding == .untrusted)
            var otherRoot = lines
            otherRoot[2] = SignedNote.Base64.encode([UInt8](repeating: 0, count: 32))
            let altered = try a.verify(against: otherRoot.joined(separator: "\n"))
            #expect(altered.finding == .untrusted)
            #expect(altered.message.contains("does not verify"))

            // Malformed input is an input error, not a crash.
            for bad in [
                "", "garbage", String(textA.dropLast()), textA + "x",
                textA.replacingOccurrences(of: "\n\n", with: "\n"),
            ] {
                #expect(throws: VaultError.self) { try a.verify(against: bad) }
            }
        }
    }

    @Test func writeCheckpointRefusesToOverwrite() throws {
        try inScratchDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let vault = try Vault.create(at: dir + "/v.sarah", identity: officer)
            let out = dir + "/checkpoint.txt"
            let text = try vault.writeCheckpoint(to: out)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == text)
            let count = try vault.store.auditCount()
            do throws(VaultError) {
                try vault.writeCheckpoint(to: out)
                Issue.record("overwrote \(out)")
            } catch {
                #expect(error.code == .alreadyExists)
            }
            #expect(try vault.store.auditCount() == count)  // nothing signed, nothing logged
            #expect(try String(contentsOfFile: out, encoding: .utf8) == text)
            #expect(try vault.verify(againstCheckpointFile: out).ok)
            #expect(throws: VaultError.self) { try vault.verify(againstCheckpointFile: dir + "/missing") }
        }
    }
}
