import Foundation
import Testing

@testable import SarahVault

/// `audit export` (issue 4, point 8): the log as JSON lines with everything an outside verifier
/// needs. The test checks an export the way an outsider would, from the lines alone: each
/// entry's leaf hash, chain link and signature, that each actor was enrolled before acting, the
/// root, and the exporter's checkpoint of it.
@Suite struct AuditExportTests {
    func lines(_ bytes: [UInt8]) throws -> [[String: Any]] {
        try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    func hex(_ any: Any?) throws -> [UInt8] {
        try #require((any as? String).flatMap { Hex.decode($0) }, "not hex: \(String(describing: any))")
    }

    func int(_ any: Any?) -> Int64? { (any as? NSNumber)?.int64Value }

    @Test func anOutsiderCanVerifyAnExport() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            try story.vault(.investigator).read(
                caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("r")))
            let auditor = try story.vault(.auditor)
            let out = dir.path("export.jsonl")
            let summary = try auditor.exportLog(to: .file(out))
            let all = try lines(try readBytes(out))

            let header = try #require(all.first)
            #expect(header["type"] as? String == "vault")
            #expect(header["format"] as? String == "sarahvault-audit-export/1")
            #expect(header["vaultId"] as? String == auditor.id)
            #expect(header["exportedBy"] as? String == story.auditor.keyID)
            let vaultID = try hex(header["vaultId"])

            let members = all.filter { $0["type"] as? String == "member" }
            #expect(members.count == StoryPerson.allCases.count)
            var enrolled: [String: (sign: [UInt8], seq: Int64)] = [:]
            for m in members {
                let token = try #require(m["publicKey"] as? String)
                let key = try PublicKey(token: token)
                #expect(key.keyID == m["keyId"] as? String)
                #expect(try hex(m["signPublicKey"]) == key.signingKey)
                enrolled[key.keyID] = (key.signingKey, try #require(int(m["entrySeq"])))
            }

            let entries = all.filter { $0["type"] as? String == "entry" }
            let trailer = try #require(all.last)
            #expect(trailer["type"] as? String == "tree")
            #expect(all.count == 1 + members.count + entries.count + 1)

            var previous = [UInt8](repeating: 0, count: 32)
            var leaves: [[UInt8]] = []
            for (i, e) in entries.enumerated() {
                let bytes = try hex(e["bytes"])
                #expect(int(e["seq"]) == Int64(i))
                // The layout of docs/FORMAT.md §8: vault id at 5, seq at 21, actor key id at 37,
                // Ed25519 key at 45; the link and signature are the last 96 bytes.
                #expect(Array(bytes[5..<21]) == vaultID)
                #expect(bytes[21..<29].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == UInt64(i))
                #expect(Array(bytes[(bytes.count - 96)..<(bytes.count - 64)]) == previous, "entry \(i) link")
                let signer = Array(bytes[45..<77])
                #expect(Hex.encode(signer) == e["actorSigningKey"] as? String)
                let message = Array(bytes[..<(bytes.count - 64)])
                #expect(
                    SigningKeyPair.verify(
                        signature: Array(bytes[(bytes.count - 64)...]), message: message, publicKey: signer))
                let actor = Hex.encode(bytes[37..<45])
                #expect(actor == e["actor"] as? String)
                if e["role"] as? String != "none", let m = enrolled[actor] {
                    #expect(m.sign == signer)
                    #expect(m.seq < Int64(i) || (i == 0 && m.seq == 0))
                }
                let leaf = Hash.sha256([0] + bytes)
                #expect(Hex.encode(leaf) == e["leafHash"] as? String)
                // Decoded fields match the bytes.
                let parsed = try AuditEntry(bytes: bytes)
                #expect(parsed.action == e["action"] as? String)
                #expect(parsed.detail == e["detail"] as? String)
                #expect(e.keys.contains("case") && e.keys.contains("dataHash"))
                previous = leaf
                leaves.append(leaf)
            }
            // Entry 0 signs the vault's recovery key and first board key.
            let first = try AuditEntry(bytes: try hex(entries.first?["bytes"]))
            #expect(
                first.keyHash == Hash.sha256(try hex(header["recoveryKey"]), try hex(header["firstBoardPublicKey"])))
            #expect(int(trailer["size"]) == Int64(entries.count))
            #expect(summary.entries == Int64(entries.count))
            let root = MerkleTree.root(leafHashes: leaves)
            #expect(trailer["root"] as? String == Hex.encode(root))
            // The export's own entry is the last exported.
            #expect(entries.last?["action"] as? String == "audit.export")
            #expect(int(header["exportSeq"]) == Int64(entries.count - 1))
            // The trailer's checkpoint, signed by the exporter, states that size and root.
            let note = try SignedNote(parsing: Array(try #require(trailer["checkpoint"] as? String).utf8))
            let cp = try Checkpoint(text: note.text)
            #expect(cp.size == Int64(entries.count) && cp.rootHash == root && cp.origin == auditor.checkpointOrigin)
            let verifier = try Checkpoint.verifier(origin: cp.origin, signingKey: story.auditor.publicKey.signingKey)
            #expect(try note.verify(by: [verifier]) == [verifier])
            // Nothing personal in it.
            let text = String(decoding: try readBytes(out), as: UTF8.self)
            for s in Story.secrets { #expect(!text.contains(s), "the export holds \(s)") }
            // And the vault still verifies, export entry and all.
            #expect(try auditor.verify().ok)
        }
    }

    @Test func onlyAuditorsAndOfficersExportAndNeverOverAFile() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            for person in [StoryPerson.investigator, .registrar, .board] {
                let e = #expect(throws: VaultError.self) {
                    try story.vault(person).exportLog(to: .file(dir.path("out-\(person)")))
                }
                #expect(e?.code == .refused)
            }
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            let existing = try dir.write("taken.jsonl", Array("mine\n".utf8))
            #expect(throws: VaultError.self) { try story.vault(.officer).exportLog(to: .file(existing)) }
            #expect(try readBytes(existing) == Array("mine\n".utf8))
        }
    }

    @Test func exportOnTheCommandLine() throws {
        try withTemporaryDirectory { dir in
            let h = CLITests()
            let w = try h.world(dir)
            let auditor = w.cli.as(w.keys["auditor"]!.path)
            let r = try auditor.run(["audit", "export"])
            #expect(r.status == 0, "\(r.err)")
            let all = try lines(r.stdout)
            #expect(all.first?["type"] as? String == "vault")
            #expect(all.last?["type"] as? String == "tree")
            h.expectNoPlaintext(r, w)
            let out = dir.path("log.jsonl")
            let f = try auditor.run(["audit", "export", "--out", out])
            #expect(f.status == 0, "\(f.err)")
            #expect(try lines(try readBytes(out)).count == all.count + 1)  // one more entry: the first export
            let again = try auditor.run(["audit", "export", "--out", out])
            #expect(again.status == 2)
            let refused = try w.cli.as(w.keys["registrar"]!.path).run(["audit", "export"])
            #expect(refused.status == 1 && refused.stdout.isEmpty)
        }
    }
}
