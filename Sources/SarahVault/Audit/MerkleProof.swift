/// Verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs.
///
/// Written for an attacker who controls every input but the trusted root(s): each index and
/// size is range-checked, every hash must be exactly 32 bytes, and the proof must have exactly
/// the length its index and sizes call for — not merely "enough" elements. A verifier that
/// skipped any of these has accepted forged proofs before (immudb CVE-2022-36111 accepted a
/// proof whose sizes did not match its tree). Failures throw `.verificationFailed` naming what
/// did not hold.
enum MerkleProof {
    /// Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`.
    static func verifyInclusion(
        leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]], root: [UInt8]
    ) throws(VaultError) {
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof)
        try checkHash(root, "the root")
        guard Sodium.constantTimeEqual(computed, root) else {
            throw failure("the inclusion proof of leaf \(index) does not lead to the tree's root at size \(size)")
        }
    }

    /// The root that an inclusion proof implies (RFC 9162 §2.1.3.2, steps 1–4).
    static func rootFromInclusionProof(
        leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]]
    ) throws(VaultError) -> [UInt8] {
        guard size > 0, index >= 0, index < size else {
            throw failure("leaf \(index) is not in a tree of size \(size)")
        }
        try checkHash(leafHash, "the leaf hash")
        try checkHashes(proof)
        // The path has one element per level below the point where the leaf's path and the
        // last leaf's path meet (`inner`) and one per left sibling above it on the right edge
        // (`border`). Exactly that many, or the proof is not for this index and size.
        let (inner, border) = inclusionShape(index: index, size: size)
        guard proof.count == inner + border else {
            throw failure(
                "an inclusion proof of leaf \(index) in a tree of size \(size) has \(inner + border) hashes, not \(proof.count)"
            )
        }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw failure("the inclusion proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                r = MerkleTree.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleTree.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw failure("the inclusion proof is shorter than the tree is deep") }
        return r
    }

    /// Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of
    /// `size2` leaves with root `root2`: the log only grew between the two.
    static func verifyConsistency(
        size1: Int, size2: Int, proof: [[UInt8]], root1: [UInt8], root2: [UInt8]
    ) throws(VaultError) {
        try checkHash(root1, "the first root")
        try checkHash(root2, "the second root")
        try checkHashes(proof)
        guard size1 >= 0, size2 >= 0 else { throw failure("a tree size is negative") }
        guard size1 <= size2 else {
            throw failure("the log shrank: tree size \(size2) is smaller than the earlier \(size1)")
        }
        if size1 == size2 {
            guard proof.isEmpty else { throw failure("a consistency proof between equal tree sizes must be empty") }
            guard Sodium.constantTimeEqual(root1, root2) else {
                throw failure("the two roots at tree size \(size1) differ: the logs forked")
            }
            return
        }
        if size1 == 0 {
            // Every tree extends the empty tree; its root can only be the empty root.
            guard proof.isEmpty else { throw failure("a consistency proof from the empty tree must be empty") }
            guard Sodium.constantTimeEqual(root1, MerkleTree.emptyRoot) else {
                throw failure("the root given for the empty tree is not the empty tree's root")
            }
            return
        }
        guard !proof.isEmpty else { throw failure("the consistency proof from \(size1) to \(size2) is empty") }
        let expected = consistencyLength(size1: size1, size2: size2)
        guard proof.count == expected else {
            throw failure("a consistency proof from \(size1) to \(size2) has \(expected) hashes, not \(proof.count)")
        }

        // RFC 9162 §2.1.4.2. When size1 is a power of two its root is itself a node of the
        // larger tree and is not repeated in the proof: the verifier starts from it.
        var path = proof[...]
        let seed: [UInt8]
        if size1 & (size1 - 1) == 0 {
            seed = root1
        } else {
            seed = path.removeFirst()
        }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = seed
        var sr = seed
        for c in path {
            guard sn != 0 else { throw failure("the consistency proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleTree.nodeHash(c, fr)
                sr = MerkleTree.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleTree.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw failure("the consistency proof is shorter than the tree is deep") }
        guard Sodium.constantTimeEqual(fr, root1) else {
            throw failure("the consistency proof does not reproduce the root at tree size \(size1): the logs forked")
        }
        guard Sodium.constantTimeEqual(sr, root2) else {
            throw failure("the consistency proof does not reproduce the root at tree size \(size2): the logs forked")
        }
    }

    // MARK: shapes

    /// (inner, border) of RFC 9162's audit path: `inner` = bit length of index XOR (size − 1),
    /// `border` = set bits of index above those.
    static func inclusionShape(index: Int, size: Int) -> (inner: Int, border: Int) {
        let diff = UInt64(index) ^ UInt64(size - 1)
        let inner = diff == 0 ? 0 : 64 - diff.leadingZeroBitCount
        let border = (UInt64(index) >> UInt64(inner)).nonzeroBitCount
        return (inner, border)
    }

    /// The exact number of hashes in a consistency proof for 0 < size1 < size2.
    static func consistencyLength(size1: Int, size2: Int) -> Int {
        // The proof is the audit path of leaf size1 − 1 in the larger tree, less the levels
        // below the lowest zero bit of size1 − 1 (whose nodes are inside the old tree's
        // right-edge subtree), plus that subtree's own root unless size1 is a power of two.
        let (inner, border) = inclusionShape(index: size1 - 1, size: size2)
        let shift = (UInt64(size1)).trailingZeroBitCount
        let start = size1 & (size1 - 1) == 0 ? 0 : 1
        return start + inner + border - shift
    }

    // MARK: helpers

    private static func checkHash(_ h: [UInt8], _ what: String) throws(VaultError) {
        guard h.count == MerkleTree.hashBytes else {
            throw failure("\(what) is \(h.count) bytes, not \(MerkleTree.hashBytes)")
        }
    }

    private static func checkHashes(_ proof: [[UInt8]]) throws(VaultError) {
        for (i, h) in proof.enumerated() where h.count != MerkleTree.hashBytes {
            throw failure("proof hash \(i) is \(h.count) bytes, not \(MerkleTree.hashBytes)")
        }
    }

    private static func failure(_ message: String) -> VaultError {
        VaultError(.verificationFailed, message)
    }
}
