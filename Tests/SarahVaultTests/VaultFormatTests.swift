import Foundation
import Testing

@testable import SarahVault

/// Format 2 (docs/FORMAT.md §7): stored ciphertext is hashed with SHA-256 (swift-crypto's);
/// format-1 vaults keep BLAKE2b-256. Both must be
/// exactly the published functions, and the choice must be bound to the signed log.
@Suite struct VaultFormatTests {
    // MARK: the chunk digest's SHA-256 is SHA-256

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { ChunkDigest(.sha256, of: $0).bytes }
    }

    /// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256ShortMsg"/"LongMsg").
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func sha256MatchesTheNISTExamples(message: String, digest: String) {
        #expect(Hex.encode(Self.sha256(Array(message.utf8))) == digest)
    }

    @Test func sha256OfAMillionAs() {
        #expect(
            Hex.encode(Self.sha256([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every padding case (the length's last block, one or two padding blocks) and whole
    /// chunks, on random data, against libsodium's `crypto_hash_sha256` (another implementation).
    @Test func sha256MatchesLibsodiumAtEveryLength() {
        var lengths = Array(0...300)
        lengths += [511, 512, 513, 4095, 4096, 4097, ChunkedCipher.chunkSize, ChunkedCipher.sealedChunkSize]
        lengths += [ChunkedCipher.sealedChunkSize - 1, ChunkedCipher.sealedChunkSize + 1, 1_000_003]
        var mismatches: [Int] = []
        for n in lengths {
            let data = Sodium.randomBytes(n)
            if Self.sha256(data) != Hash.sha256(data) { mismatches.append(n) }
        }
        #expect(mismatches.isEmpty, "lengths that differ: \(mismatches)")
    }

    // MARK: the vault format

    static func documentAddEntries(_ raw: RawVault) throws -> [AuditEntry] {
        try (0..<raw.auditCount()).map { try AuditEntry(bytes: try raw.auditEntry(seq: $0)) }
            .filter { $0.action == AuditAction.addDocument && $0.result == .granted }
    }

    static func setFormat(_ raw: RawVault, _ value: [UInt8]) throws {
        try raw.db.run("UPDATE meta SET value = ? WHERE name = 'format'", [.blob(value)])
        #expect(raw.db.changes == 1)
    }

    @Test func aNewVaultHashesItsCiphertextWithSHA256AndSaysSoInEveryEntry() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            #expect(try raw.db.firstRow("SELECT value FROM meta WHERE name = 'format'")?.first?.bytes == [2])
            let adds = try Self.documentAddEntries(raw)
            #expect(!adds.isEmpty)
            for e in adds { #expect(e.detailValue("hash") == "sha256", "\(e.detail)") }

            // The big document's hash, recomputed here from the raw chunk rows with libsodium's
            // SHA-256 alone: SHA-256 over the SHA-256 of each sealed chunk.
            let vid = try raw.vid(caseID: Story.caseID, document: story.bigDoc, version: 1)
            let n = try raw.chunkCount(vid: vid)
            #expect(n == 4)  // 200 KiB: three full chunks and a part
            let digests = try (0..<n).flatMap { Hash.sha256(try raw.chunk(vid: vid, index: $0)) }
            let entry = try #require(adds.first { $0.caseID == Story.caseID && $0.document == story.bigDoc })
            #expect(entry.dataHash == Hash.sha256(digests))
            #expect(try story.vault(.auditor).verify().ok)
        }
    }

    @Test func aFormat1VaultKeepsWritingFormat1AndVerifies() throws {
        try withTemporaryDirectory { dir in
            let path = try FormatFixtureTests.copy(into: dir)
            let officer = try Identity.load(
                from: dir.path("officer.id"), passphrase: try FormatFixtureTests.passphrase())
            let vault = try Vault.open(at: path, identity: officer)
            #expect(vault.format == .v1)
            let file = try dir.write("tillagg.bin", Sodium.randomBytes(3 * ChunkedCipher.chunkSize + 17))
            _ = try vault.add(caseID: "FIX 2026/0001", files: [file])

            let raw = try RawVault(path: path)
            #expect(try raw.db.firstRow("SELECT value FROM meta WHERE name = 'format'")?.first?.bytes == [1])
            let added = try #require(try Self.documentAddEntries(raw).last)
            #expect(added.detailValue("hash") == nil, "\(added.detail)")
            let vid = try #require(
                try raw.db.firstRow("SELECT max(vid) FROM versions")?.first?.int)
            let digests = try (0..<raw.chunkCount(vid: vid)).flatMap {
                Hash.blake2b256(try raw.chunk(vid: vid, index: $0))
            }
            #expect(added.dataHash == Hash.blake2b256(digests))
            let report = try vault.verify()
            #expect(report.ok, "\(report.problems)")
        }
    }

    /// `meta.format` is not signed, but every `document.add` entry is: a format changed in the
    /// file is caught and the version named, whichever way it is changed.
    @Test(arguments: [(false, [UInt8]([1])), (true, [UInt8]([2]))])
    func aChangedFormatIsNamedByVerify(format1Vault: Bool, newFormat: [UInt8]) throws {
        try withTemporaryDirectory { dir in
            let path: String
            let auditor: Identity
            if format1Vault {
                path = try FormatFixtureTests.copy(into: dir)
                auditor = try Identity.load(
                    from: dir.path("officer.id"), passphrase: try FormatFixtureTests.passphrase())
            } else {
                let story = try Story(in: dir)
                path = story.vaultPath
                auditor = story.auditor
            }
            try Self.setFormat(try RawVault(path: path), newFormat)
            let report = try Vault.open(at: path, identity: auditor).verify()
            #expect(!report.ok)
            #expect(report.problems.contains { $0.contains("names the hash") && $0.contains("version") })
        }
    }

    @Test(arguments: [[UInt8]([0]), [3], [255], [], [2, 0]])
    func anUnknownFormatIsRefusedOnOpen(value: [UInt8]) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            try Self.setFormat(try story.raw(), value)
            #expect {
                try Vault.open(at: story.vaultPath, identity: story.officer)
            } throws: { error in
                (error as? VaultError)?.code == .unsupported
            }
        }
    }
}
