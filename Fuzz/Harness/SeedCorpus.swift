import Foundation
@testable import SarahVault

/// Makes the seed corpus (`scripts/fuzz.sh --make-corpus`): valid inputs for every target, from
/// what the real CLI wrote into a work directory and from the library's own writers.
///
/// `FUZZ_GENERATE=holder-identity:PATH` writes `Fuzz.holder` as an identity file (so the CLI
/// can act as the holder and check out packages that the harness opens);
/// `FUZZ_GENERATE=corpus:WORK:OUT` turns the CLI's outputs in WORK into `OUT/<target>/<hash>`.
enum SeedCorpus {
    static func generate(_ request: String) -> CInt {
        let parts = request.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        do throws(VaultError) {
            switch (parts.first, parts.count) {
            case ("holder-identity", 2):
                try Fuzz.holder.write(to: parts[1], passphrase: Fuzz.passphrase(), kdf: .interactive)
            case ("corpus", 3):
                var corpus = Corpus(work: parts[1], out: parts[2])
                try corpus.make()
            default:
                print("FUZZ_GENERATE: holder-identity:PATH or corpus:WORK:OUT")
                return 2
            }
            return 0
        } catch {
            print("FUZZ_GENERATE failed: \(error.message)")
            return 1
        }
    }

    private struct Corpus {
        let work: String
        let out: String
        var counts: [String: Int] = [:]

        init(work: String, out: String) {
            self.work = work
            self.out = out
        }

        mutating func make() throws(VaultError) {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).sorted()
            func read(_ name: String) throws(VaultError) -> [UInt8] {
                try FileIO.readSmall(path: work + "/" + name, limit: 1 << 20, what: "corpus input")
            }
            func matching(_ suffix: String) -> [String] { files.filter { $0.hasSuffix(suffix) } }

            // Identity files: the CLI's own (Argon2 limits too high to decode while fuzzing:
            // header checks only) and the holder and others with the cheapest limits, which the
            // target decodes in full.
            for f in matching(".id") { try put("identity", try read(f)) }
            try put("identity", try Self.cheapIdentityFile(Fuzz.holder))
            let named = try Identity.generate(name: "Åsa Öberg-Ünal 🗂")
            try put("identity", try Self.cheapIdentityFile(named))

            for f in matching(".pub") { try put("public-key", try read(f)) }
            try put("public-key", Array(Fuzz.holder.publicKey.token.utf8))
            try put("public-key", Array(("  " + Fuzz.holder.publicKey.token + "\n").utf8))

            for f in matching(".recovery") { try put("recovery-key", try read(f)) }
            let recovery = try RecoveryKey.generate().text
            try put("recovery-key", Array(recovery.utf8))
            try put("recovery-key", Array((recovery.uppercased().replacingOccurrences(of: "-", with: " ") + "\n").utf8))

            for f in matching(".roster") { try put("roster", try read(f)) }

            for f in matching(".policy") { try put("policy", try read(f)) }
            try put("policy", Array(Policy.default.text.utf8))

            // Every kind of audit entry the CLI wrote, twice at most.
            for f in matching(".sarah") {
                let store = try SQLiteStore(path: work + "/" + f, create: false)
                var perAction: [String: Int] = [:]
                for seq in 0..<(try store.auditCount()) {
                    guard let bytes = try store.auditEntry(seq: seq), let e = try? AuditEntry(bytes: bytes) else {
                        continue
                    }
                    perAction[e.action, default: 0] += 1
                    if perAction[e.action]! <= 2 { try put("audit-entry", bytes) }
                }
            }

            for f in matching(".checkpoint") { try put("checkpoint", try read(f)) }
            var note = try Checkpoint(
                origin: Checkpoint.origin(vaultID: [UInt8](repeating: 7, count: 16)), size: 3,
                rootHash: MerkleTree.emptyRoot, extensionLines: ["extension line", "another"]
            ).signed(by: Fuzz.holder.signing)
            try note.sign(name: "witness.example/w1", key: Fuzz.holder.signing)
            try put("checkpoint", Array(note.serialized.utf8))
            let verifier = try SignedNote.Verifier(
                name: "sarahvault.local/example", publicKey: Fuzz.holder.signing.publicKey)
            try put("checkpoint", Array(verifier.verifierKey.utf8))

            for f in matching(".proof") { try put("audit-proof", try read(f)) }

            for f in matching(".pkg") {
                let bytes = try read(f)
                try put("checkout", bytes)
                for seed in try Self.streamSeeds(path: work + "/" + f) { try put("checkout-stream", seed) }
            }

            // Honest proofs over trees of 1, 7, 16 and 63 leaves, and hostile ones.
            for (n, size, index, s1, s2) in [
                (0, 0, 0, 0, 0), (6, 6, 3, 2, 5), (15, 15, 10, 8, 15), (62, 40, 39, 13, 40),
            ] {
                try put("merkle-proof", [1, UInt8(n), UInt8(size), UInt8(index), 0, 9, UInt8(s1), UInt8(s2 - s1)])
            }
            var hostile: [UInt8] = [0]
            var w = ByteWriter()
            w.u64(5)
            w.u64(13)
            hostile += w.bytes + MerkleTree.emptyRoot + MerkleTree.leafHash([1]) + MerkleTree.leafHash([2])
            try put("merkle-proof", hostile)

            for (target, n) in counts.sorted(by: { $0.key < $1.key }) { print("\(target): \(n) seeds") }
        }

        mutating func put(_ target: String, _ bytes: [UInt8]) throws(VaultError) {
            let dir = out + "/" + target
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let path = dir + "/" + Hex.encode(Hash.sha256(bytes).prefix(10))
            guard !FileManager.default.fileExists(atPath: path) else { return }
            try FileIO.createExclusive(path: path, bytes: bytes, mode: 0o644, what: "seed")
            counts[target, default: 0] += 1
        }

        /// An identity file as `IdentityFile.encode` writes it, but with Argon2id's minimum
        /// limits (1 pass, 8 KiB), so the fuzzer can decode it thousands of times a second.
        static func cheapIdentityFile(_ identity: Identity) throws(VaultError) -> [UInt8] {
            let ops: UInt64 = 1
            let mem: UInt64 = 8192
            let salt = Sodium.randomBytes(PasswordHash.saltBytes)
            let nonce = Sodium.randomBytes(AEAD.nonceBytes)
            var w = ByteWriter()
            w.append(IdentityFile.magic)
            w.u8(IdentityFile.version)
            w.u8(PasswordHash.algorithmArgon2id13)
            w.u64(ops)
            w.u64(mem)
            w.append(salt)
            w.append(nonce)
            w.append(identity.box.publicKey)
            w.append(identity.signing.publicKey)
            let header = w.bytes
            let key = try PasswordHash.deriveKey(passphrase: Fuzz.passphrase().secret, salt: salt, ops: ops, mem: mem)
            let plain =
                identity.box.secretKey.unsafeCopy() + identity.signingSeed.unsafeCopy() + Array(identity.name.utf8)
            return header + AEAD.seal(plain, key: key, nonce: nonce, ad: header)
        }

        /// The plaintext of a package the holder can open, as the two modes of `checkout-stream`
        /// take it: the raw stream, and manifest | 0x00 | documents.
        static func streamSeeds(path: String) throws(VaultError) -> [[UInt8]] {
            var documents: [UInt8] = []
            let manifest = try CheckoutPackage.read(
                path: path, identity: Fuzz.holder, document: { (_, bytes) throws(VaultError) in documents += bytes })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let json = try? encoder.encode(manifest) else { return [] }
            let m = Array(json)
            var w = ByteWriter()
            w.u32(UInt32(m.count))
            let raw = w.bytes + m + Fuzz.holder.sign(CheckoutPackage.signatureLabel + m) + documents
            return [[0] + raw, [1] + m + [0] + documents]
        }
    }
}
