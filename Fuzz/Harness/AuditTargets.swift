@testable import SarahVault

/// The audit log's outside forms: an entry's bytes, a signed checkpoint kept outside the vault
/// (`audit verify --against`), and the RFC 9162 proofs checked against a checkpoint.
enum AuditTargets {
    /// `AuditEntry(bytes:)`. The parser accepts one encoding per entry (FORMAT.md: the signature
    /// covers the stored bytes, the verifier re-encodes the fields), so whatever it accepts must
    /// encode back to exactly the same bytes.
    static let auditEntry = FuzzTarget(name: "audit-entry", summary: "audit entry bytes: AuditEntry(bytes:)") { bytes in
        guard let entry = try? AuditEntry(bytes: bytes) else { return }
        Fuzz.expect(entry.bytes == bytes, "an entry that does not encode back to its own bytes")
        Fuzz.expect(entry.leafHash == AuditEntry.leafHash(of: bytes), "an entry's leaf hash is not over its bytes")
        Fuzz.expect(entry.seq >= 0, "an entry with a negative seq")
        _ = entry.verifySignature()
        _ = entry.detailValue("key")
    }

    /// `SignedNote(parsing:)` and `Checkpoint(text:)`, then signature verification against the
    /// corpus holder's key under each name the note gives (the corpus checkpoints are signed by
    /// it, so their signatures hold and a changed byte must not). Also `Verifier(parsing:)`, the
    /// verifier key string a checkpoint is checked with.
    static let checkpoint = FuzzTarget(
        name: "checkpoint",
        summary: "checkpoint / signed note: SignedNote(parsing:), Checkpoint(text:), Verifier(parsing:)"
    ) { bytes in
        _ = try? SignedNote.Verifier(parsing: Fuzz.text(bytes))
        guard let note = try? SignedNote(parsing: bytes) else { return }
        // Each note has exactly one spelling (canonical base64, no stray bytes).
        Fuzz.expect(Array(note.serialized.utf8) == bytes, "a note that does not serialise back to its own bytes")
        Fuzz.expect(
            !note.signatures.isEmpty && note.signatures.count <= SignedNote.maxSignatures,
            "signature count out of range")
        let trusted = note.signatures.compactMap {
            try? SignedNote.Verifier(name: $0.name, publicKey: Fuzz.holder.signing.publicKey)
        }
        let verified = (try? note.verify(by: trusted)) ?? []
        Fuzz.expect(verified.allSatisfy { trusted.contains($0) }, "a note verified by a key nobody trusted")
        guard let checkpoint = try? Checkpoint(text: note.text) else { return }
        Fuzz.expect(
            Array(checkpoint.text.utf8) == Array(note.text.utf8), "a checkpoint that does not print as its text")
        Fuzz.expect(checkpoint.size >= 0 && checkpoint.rootHash.count == 32, "a checkpoint with an impossible tree")
        let opened = try? Checkpoint.open(bytes, trusting: trusted)
        Fuzz.expect((opened != nil) == !verified.isEmpty, "Checkpoint.open and SignedNote.verify disagree")
    }

    /// `MerkleProof.verifyInclusion` and `verifyConsistency` on proofs from the input.
    ///
    /// First byte even: a hostile proof — index and sizes anywhere in `Int`'s range, proof
    /// hashes cut from the rest of the input (the last may be short) — which must be refused or
    /// accepted without a trap. First byte odd: an honest proof from `MerkleTree` over a small
    /// tree (up to 64 leaves) must verify, and the same proof with one bit flipped, one hash
    /// dropped or one added, or against a rewritten older tree, must not.
    static let merkleProof = FuzzTarget(
        name: "merkle-proof", summary: "inclusion and consistency proofs: MerkleProof.verify*"
    ) { bytes in
        guard let mode = bytes.first else { return }
        if mode & 1 == 0 { hostileProof(bytes) } else { honestProof(bytes) }
    }

    private static func hostileProof(_ bytes: [UInt8]) {
        let a = Int(truncatingIfNeeded: Fuzz.be(bytes, 1, 8))
        let b = Int(truncatingIfNeeded: Fuzz.be(bytes, 9, 8))
        let rest = bytes.count > 17 ? Array(bytes[17...]) : []
        var proof: [[UInt8]] = []
        var i = 0
        while i < rest.count {
            proof.append(Array(rest[i..<min(i + 32, rest.count)]))
            i += 32
        }
        let leaf = MerkleTree.leafHash(bytes)
        let root = MerkleTree.nodeHash(leaf, leaf)
        // Small sizes too, so the verifiers get past their range checks.
        for (x, y) in [(a, b), (a & 0xff, b & 0xff), (a & 0xffff, b & 0xffff)] {
            _ = try? MerkleProof.verifyInclusion(leafHash: leaf, index: x, size: y, proof: proof, root: root)
            _ = try? MerkleProof.rootFromInclusionProof(leafHash: leaf, index: x, size: y, proof: proof)
            _ = try? MerkleProof.verifyConsistency(size1: x, size2: y, proof: proof, root1: leaf, root2: root)
            _ = try? MerkleProof.verifyConsistency(
                size1: x, size2: y, proof: proof, root1: MerkleTree.emptyRoot, root2: root)
        }
    }

    private static func honestProof(_ bytes: [UInt8]) {
        let n = 1 + Int(Fuzz.be(bytes, 1, 1) % 64)
        let leaves = (0..<n).map { MerkleTree.leafHash([UInt8(truncatingIfNeeded: $0)] + bytes.prefix(4)) }
        let size = 1 + Int(Fuzz.be(bytes, 2, 1)) % n
        let index = Int(Fuzz.be(bytes, 3, 1)) % size
        let flip = Int(Fuzz.be(bytes, 4, 2))
        guard let proof = try? MerkleTree.inclusionProof(index: index, size: size, leafHashes: leaves) else {
            Fuzz.expect(false, "no inclusion proof for leaf \(index) of \(size)")
            return
        }
        let root = MerkleTree.root(leafHashes: Array(leaves[0..<size]))
        Fuzz.expect(
            (try? MerkleProof.verifyInclusion(
                leafHash: leaves[index], index: index, size: size, proof: proof, root: root))
                != nil, "an honest inclusion proof of leaf \(index) in \(size) fails")
        for forged in forgeries(of: proof, flip: flip) {
            Fuzz.expect(
                (try? MerkleProof.verifyInclusion(
                    leafHash: leaves[index], index: index, size: size, proof: forged, root: root))
                    == nil, "a forged inclusion proof of leaf \(index) in \(size) verifies")
        }

        let size1 = Int(Fuzz.be(bytes, 6, 1)) % (n + 1)
        let size2 = size1 + Int(Fuzz.be(bytes, 7, 1)) % (n - size1 + 1)
        guard let consistency = try? MerkleTree.consistencyProof(from: size1, to: size2, leafHashes: leaves) else {
            Fuzz.expect(false, "no consistency proof from \(size1) to \(size2)")
            return
        }
        let root1 = MerkleTree.root(leafHashes: Array(leaves[0..<size1]))
        let root2 = MerkleTree.root(leafHashes: Array(leaves[0..<size2]))
        Fuzz.expect(
            (try? MerkleProof.verifyConsistency(
                size1: size1, size2: size2, proof: consistency, root1: root1, root2: root2))
                != nil, "an honest consistency proof from \(size1) to \(size2) fails")
        for forged in forgeries(of: consistency, flip: flip) {
            Fuzz.expect(
                (try? MerkleProof.verifyConsistency(
                    size1: size1, size2: size2, proof: forged, root1: root1, root2: root2))
                    == nil, "a forged consistency proof from \(size1) to \(size2) verifies")
        }
        if size1 > 0, size1 < size2 {
            // A log that was rewritten: one leaf of the old tree changed.
            var other = leaves
            other[flip % size1] = MerkleTree.leafHash([0xff] + bytes)
            let forkedRoot1 = MerkleTree.root(leafHashes: Array(other[0..<size1]))
            if forkedRoot1 != root1 {
                Fuzz.expect(
                    (try? MerkleProof.verifyConsistency(
                        size1: size1, size2: size2, proof: consistency, root1: forkedRoot1, root2: root2)) == nil,
                    "a consistency proof verifies from a forked tree of \(size1)")
            }
        }
    }

    /// The proof with one bit flipped, without its last hash, and with one hash more.
    private static func forgeries(of proof: [[UInt8]], flip: Int) -> [[[UInt8]]] {
        var out: [[[UInt8]]] = [proof + [MerkleTree.emptyRoot]]
        if !proof.isEmpty {
            var flipped = proof
            let bit = flip % (proof.count * 256)
            flipped[bit / 256][(bit % 256) / 8] ^= UInt8(1 << (bit % 8))
            out.append(flipped)
            out.append(Array(proof.dropLast()))
        }
        return out
    }
}
