import Foundation
import Testing

@testable import SarahVault

/// `audit prove` / `audit verify-proof` (issue 4, point 4) and `audit cosign` (point 2): proofs
/// round-trip, offline, trusting only the keys given; a proof with any byte changed fails;
/// cosigning happens only after the checkpoint is checked against the log, and is audited.
@Suite struct AuditProofTests {
    /// A vault with an officer, an auditor and some entries.
    struct Fixture {
        let dir: TemporaryDirectory
        let officer: Identity
        let auditor: Identity
        let investigator: Identity
        let path: String
        var vault: Vault { get throws { try Vault.open(at: path, identity: officer) } }

        init(_ dir: TemporaryDirectory, entries: Int = 20) throws {
            self.dir = dir
            officer = try Identity.generate(name: "Olivia Officer")
            auditor = try Identity.generate(name: "Agnes Auditor")
            investigator = try Identity.generate(name: "Ivar Investigator")
            path = dir.path("v.sarah")
            let v = try Vault.create(at: path, identity: officer)
            try v.addMember(name: "Agnes Auditor", role: .auditor, unit: nil, publicKey: auditor.publicKey)
            try v.addMember(
                name: "Ivar Investigator", role: .investigator, unit: nil, publicKey: investigator.publicKey)
            while try v.store.auditCount() < Int64(entries) { _ = try v.members() }
        }
    }

    @Test func proveAndVerifyRoundTripForEveryEntry() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir, entries: 13)
            let vault = try f.vault
            let count = try vault.store.auditCount()
            for seq in 0..<count {
                let text = try vault.prove(seq: seq)
                let report = try AuditProofs.verify(Array(text.utf8), trusting: [f.officer.publicKey])
                #expect(report.entry.seq == seq)
                #expect(report.signers == [f.officer.keyID])
                #expect(report.vaultID == vault.id)
                #expect(report.checkpointSize >= count)
                #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
                // The entry in the proof is the stored one.
                let proof = try AuditProof(parsing: Array(text.utf8))
                #expect(proof.entryBytes == (try vault.store.auditEntry(seq: seq)))
            }
            // Each proof was recorded.
            let proves = try vault.auditLog().filter { $0.action == "audit.prove" }
            #expect(proves.count == Int(count))
            #expect(proves.first?.detail.hasPrefix("seq=0 size=\(count) root=") == true)
        }
    }

    @Test func aProofWithAnyByteChangedFails() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let bytes = Array(try f.vault.prove(seq: 7).utf8)
            let keys = [f.officer.publicKey]
            #expect(try AuditProofs.verify(bytes, trusting: keys).entry.seq == 7)
            var accepted: [String] = []
            for i in bytes.indices {
                for mask: UInt8 in [0x01, 0x20, 0x80] {
                    var changed = bytes
                    changed[i] ^= mask
                    if (try? AuditProofs.verify(changed, trusting: keys)) != nil {
                        accepted.append("byte \(i) ^ \(mask)")
                    }
                }
            }
            #expect(accepted.isEmpty, "accepted changed proofs: \(accepted.prefix(10))")
            // Nor a proof cut short or with bytes added.
            for cut in [1, 2, 10, bytes.count / 2, bytes.count - 1] {
                #expect((try? AuditProofs.verify(Array(bytes.prefix(cut)), trusting: keys)) == nil)
            }
            #expect((try? AuditProofs.verify(bytes + [0x0a], trusting: keys)) == nil)
            #expect((try? AuditProofs.verify(bytes + Array("x\n".utf8), trusting: keys)) == nil)
        }
    }

    @Test func onlyTheKeysGivenAreTrusted() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let bytes = Array(try f.vault.prove(seq: 3).utf8)
            for keys in [[f.auditor.publicKey], [try Identity.generate(name: "Stranger").publicKey]] {
                let e = #expect(throws: VaultError.self) { try AuditProofs.verify(bytes, trusting: keys) }
                #expect(e?.code == .verificationFailed)
                #expect(e?.message.contains("not trusted") == true)
            }
            #expect(throws: VaultError.self) { try AuditProofs.verify(bytes, trusting: []) }
            // Another signer among several trusted keys is enough.
            #expect(
                try AuditProofs.verify(bytes, trusting: [f.auditor.publicKey, f.officer.publicKey]).signers == [
                    f.officer.keyID
                ])
        }
    }

    @Test func aProofOfAnEntryFromAnotherLogOrAnotherIndexFails() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let vault = try f.vault
            let mine = try AuditProof(parsing: Array(try vault.prove(seq: 5).utf8))
            let other = try Vault.create(at: dir.path("other.sarah"), identity: f.officer)
            let theirs = try AuditProof(parsing: Array(try other.prove(seq: 0).utf8))
            let keys = [f.officer.publicKey]
            // The other vault's entry under this vault's checkpoint, both properly encoded.
            let swapped = AuditProof(entryBytes: theirs.entryBytes, index: 0, path: mine.path, note: mine.note)
            #expect(throws: VaultError.self) { try swapped.verify(trusting: keys) }
            // Entry 4 with entry 5's path.
            let entry4 = try #require(try vault.store.auditEntry(seq: 4))
            let moved = AuditProof(entryBytes: entry4, index: 4, path: mine.path, note: mine.note)
            #expect(throws: VaultError.self) { try moved.verify(trusting: keys) }
            // Entry 5 claimed at index 4.
            let renumbered = AuditProof(entryBytes: mine.entryBytes, index: 4, path: mine.path, note: mine.note)
            #expect(throws: VaultError.self) { try renumbered.verify(trusting: keys) }
            // An index beyond the checkpoint's tree.
            let beyond = AuditProof(entryBytes: mine.entryBytes, index: 1 << 40, path: mine.path, note: mine.note)
            #expect(throws: VaultError.self) { try beyond.verify(trusting: keys) }
            #expect(try mine.verify(trusting: keys).entry.seq == 5)
        }
    }

    @Test(arguments: [
        "", "c2sp.org/tlog-proof@v1\n", "c2sp.org/tlog-proof@v1\nindex 0\n\n",
        "c2sp.org/tlog-proof@v2\nextra AA==\nindex 0\n\n",
        "c2sp.org/tlog-proof@v1\nextra AA==\nindex 00\n\n", "c2sp.org/tlog-proof@v1\nextra AA==\nindex -1\n\n",
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n", "c2sp.org/tlog-proof@v1\nextra AA==\nindex 0\nAAAA\n\n",
        "c2sp.org/tlog-proof@v1\nextra AA==\nindex 99999999999999999999\n\n",
    ])
    func malformedProofsAreInputErrors(text: String) throws {
        let e = #expect(throws: VaultError.self) {
            try AuditProofs.verify(Array(text.utf8), trusting: [try Identity.generate(name: "K").publicKey])
        }
        #expect(e?.code == .invalidInput || e?.code == .verificationFailed)
    }

    @Test func hostileProofFilesGetAClearError() throws {
        try withTemporaryDirectory { dir in
            let key = try Identity.generate(name: "K").publicKey
            let big = try dir.write("big.tlog-proof", [UInt8](repeating: 0x41, count: AuditProof.maxBytes + 1))
            #expect(throws: VaultError.self) { try AuditProofs.verify(file: big, trusting: [key]) }
            let binary = try dir.write("bin.tlog-proof", [0xff, 0xfe, 0x00, 0x0a, 0x0a])
            #expect(throws: VaultError.self) { try AuditProofs.verify(file: binary, trusting: [key]) }
            #expect(throws: VaultError.self) { try AuditProofs.verify(file: dir.path("missing"), trusting: [key]) }
            #expect(throws: VaultError.self) { try AuditProofs.verify(file: dir.path(""), trusting: [key]) }
        }
    }

    @Test func provingOthersEntriesTakesTheRightToReadTheLog() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let investigator = try Vault.open(at: f.path, identity: f.investigator)
            _ = try investigator.members()  // an entry of their own
            let own = try investigator.store.auditCount() - 1
            let proof = try investigator.prove(seq: own)
            #expect(
                try AuditProofs.verify(Array(proof.utf8), trusting: [f.investigator.publicKey]).entry.actor
                    == f.investigator.keyID)
            let e = #expect(throws: VaultError.self) { try investigator.prove(seq: 0) }
            #expect(e?.code == .refused)
            #expect(try Vault.open(at: f.path, identity: f.auditor).prove(seq: 0).hasPrefix("c2sp.org/tlog-proof@v1"))
            let notFound = #expect(throws: VaultError.self) { try f.vault.prove(seq: 10_000) }
            #expect(notFound?.code == .notFound)
            #expect(throws: VaultError.self) { try f.vault.prove(seq: -1) }
        }
    }

    // MARK: cosigning

    @Test func cosignAddsASignatureAfterCheckingTheLog() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let officerText = try f.vault.checkpoint()
            let auditor = try Vault.open(at: f.path, identity: f.auditor)
            let result = try auditor.cosign(officerText)
            #expect(!result.alreadySigned)
            #expect(result.signatures == 2)
            #expect(result.report.ok)
            let note = try SignedNote(parsing: Array(result.checkpoint.utf8))
            #expect(note.text == (try SignedNote(parsing: Array(officerText.utf8))).text)
            #expect(note.signatures.count == 2)
            // Each signer alone is enough for a verifier trusting them.
            for who in [f.officer, f.auditor] {
                let report = try f.vault.verify(against: result.checkpoint, trustedKeys: [who.publicKey])
                #expect(report.ok && report.signers == [who.keyID])
            }
            #expect(Set(try f.vault.verify(against: result.checkpoint).signers) == [f.officer.keyID, f.auditor.keyID])
            // Signing again changes nothing.
            let again = try auditor.cosign(result.checkpoint)
            #expect(again.alreadySigned && again.checkpoint == result.checkpoint)
            // Recorded.
            let cosigns = try f.vault.auditLog().filter { $0.action == "audit.cosign" }
            #expect(
                cosigns.count == 2 && cosigns.allSatisfy { $0.result == .granted && $0.actorKeyID == f.auditor.keyID })
            // A proof against the cosigned checkpoint carries both signatures.
            let proof = try auditor.prove(seq: 2, against: result.checkpoint)
            #expect(
                try AuditProofs.verify(Array(proof.utf8), trusting: [f.auditor.publicKey]).signers == [f.auditor.keyID])
            #expect(
                try AuditProofs.verify(Array(proof.utf8), trusting: [f.officer.publicKey]).signers == [f.officer.keyID])
        }
    }

    @Test func cosignRefusesACheckpointTheLogDoesNotHold() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let fork = dir.path("fork.sarah")
            try FileManager.default.copyItem(atPath: f.path, toPath: fork)
            // The original goes its own way and is checkpointed; the copy goes another.
            _ = try f.vault.members()
            let text = try f.vault.checkpoint()
            let other = try Vault.open(at: fork, identity: f.auditor)
            while try other.store.auditCount() < (try f.vault.store.auditCount()) + 2 { _ = try other.members() }
            let before = try other.store.auditCount()
            let e = #expect(throws: VaultError.self) { try other.cosign(text) }
            #expect(e?.code == .verificationFailed)
            #expect(e?.message.contains("refusing to cosign") == true)
            // The refusal is logged, and nothing else was.
            #expect(try other.store.auditCount() == before + 1)
            let last = try AuditEntry(bytes: try #require(try other.store.lastAuditEntry()).bytes)
            #expect(last.action == "audit.cosign" && last.result == .refused)

            // A checkpoint signed by no current member, or altered, is not cosigned either.
            let stranger = try Identity.generate(name: "Stranger")
            let strangers = try Checkpoint(text: try SignedNote(parsing: Array(text.utf8)).text).signed(
                by: stranger.signing)
            #expect(throws: VaultError.self) { try f.vault.cosign(strangers.serialized) }
            #expect(throws: VaultError.self) { try f.vault.cosign(text.replacingOccurrences(of: "\n\n", with: "\n")) }
            // And a non-member may not cosign at all.
            let outsider = try Vault.open(at: f.path, identity: stranger)
            #expect(throws: VaultError.self) { try outsider.cosign(text) }
        }
    }

    @Test func cosignWritesANewFileOnly() throws {
        try withTemporaryDirectory { dir in
            let f = try Fixture(dir)
            let input = dir.path("cp")
            try f.vault.writeCheckpoint(to: input)
            let auditor = try Vault.open(at: f.path, identity: f.auditor)
            let out = dir.path("cp-cosigned")
            let result = try auditor.cosign(checkpointFile: input, to: out)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == result.checkpoint)
            let count = try auditor.store.auditCount()
            let e = #expect(throws: VaultError.self) { try auditor.cosign(checkpointFile: input, to: out) }
            #expect(e?.code == .alreadyExists)
            #expect(try auditor.store.auditCount() == count)
        }
    }

    // MARK: the command line

    @Test func proveAndVerifyProofOnTheCommandLine() throws {
        try withTemporaryDirectory { dir in
            let h = CLITests()
            let cli = try h.emptyVault(dir)
            let auditorKey = try h.keygen(cli, "Agnes Granskarsson", file: "auditor.id")
            #expect(
                try cli.run(["member", "add", "--name", "Agnes", "--role", "auditor", "--key", auditorKey.publicKey])
                    .status == 0)
            let officerKey = try Identity.publicKey(ofFile: cli.identity).token
            let auditor = cli.as(auditorKey.path)

            let cp = dir.path("cp")
            #expect(try cli.run(["audit", "checkpoint", "--out", cp]).status == 0)
            let cosigned = dir.path("cp2")
            let co = try auditor.run(["audit", "cosign", cp, "--out", cosigned])
            #expect(co.status == 0, "\(co.err)")

            let proof = dir.path("entry1.tlog-proof")
            let p = try auditor.run(["audit", "prove", "1", "--checkpoint", cosigned, "--out", proof])
            #expect(p.status == 0, "\(p.err)")

            // No vault at hand: the vault file is gone, only the proof and a key.
            try FileManager.default.removeItem(atPath: cli.vault)
            for key in [officerKey, auditorKey.publicKey] {
                let ok = try cli.run(["audit", "verify-proof", proof, "--key", key])
                #expect(ok.status == 0, "\(ok.err)")
                #expect(ok.out.hasPrefix("ok: entry 1 (member.add granted"), "\(ok.out)")
            }
            // The acting identity's own key, when it signed.
            #expect(try auditor.run(["audit", "verify-proof", proof]).status == 0)
            let json = try auditor.run(["audit", "verify-proof", proof, "--json"])
            let obj = try h.jsonObject(json)
            #expect(((obj["entry"] as? [String: Any])?["seq"] as? NSNumber)?.intValue == 1)

            // A stranger's key: exit 1, one line.
            let strangerKey = try h.keygen(cli, "Stranger", file: "stranger.id")
            let bad = try cli.run(["audit", "verify-proof", proof, "--key", strangerKey.publicKey])
            #expect(bad.status == 1)
            h.expectOneErrorLine(bad)
            // A changed byte: exit 1 or 2, one line, never a crash.
            var bytes = try readBytes(proof)
            bytes[bytes.count / 3] ^= 0x01
            let changed = try dir.write("changed.tlog-proof", bytes)
            let r = try cli.run(["audit", "verify-proof", changed, "--key", officerKey])
            #expect(r.status == 1 || r.status == 2)
            h.expectOneErrorLine(r)
        }
    }
}
