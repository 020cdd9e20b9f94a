import Testing

@testable import SarahVault

// Known answers from transparency-dev/merkle (`rfc6962/rfc6962_test.go`, `testonly/constants.go`,
// `testonly/reference_test.go`) and google/certificate-transparency
// (`cpp/merkletree/merkle_tree_test.cc`), as transcribed in shared/design/VECTORS.md.

private func vectorHex(_ hex: String) -> [UInt8] {
    guard let bytes = Hex.decode(hex) else {
        Issue.record("bad hex in a test vector: \(hex)")
        return []
    }
    return bytes
}

enum RFC6962Vectors {
    /// The 8-leaf reference tree's leaf data.
    static let leafData: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(vectorHex)

    static let leafHashes: [[UInt8]] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ].map(vectorHex)

    /// Roots of the first n leaves, n = 0...8.
    static let roots: [[UInt8]] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(vectorHex)

    // Inner nodes: level 1 (pairs of leaves) and level 2 (fours).
    static let l1 = [
        roots[2],
        vectorHex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        vectorHex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        vectorHex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ]
    static let l2 = [roots[4], vectorHex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]

    struct Inclusion: Sendable, CustomTestStringConvertible {
        var index: Int
        var size: Int
        var proof: [[UInt8]]
        var testDescription: String { "leaf \(index) of \(size)" }
    }

    static let inclusionProofs: [Inclusion] = [
        Inclusion(index: 0, size: 1, proof: []),
        Inclusion(index: 0, size: 2, proof: [leafHashes[1]]),
        Inclusion(index: 1, size: 2, proof: [leafHashes[0]]),
        Inclusion(index: 2, size: 3, proof: [l1[0]]),
        Inclusion(index: 1, size: 5, proof: [leafHashes[0], l1[1], leafHashes[4]]),
        Inclusion(index: 0, size: 8, proof: [leafHashes[1], l1[1], l2[1]]),
        Inclusion(index: 5, size: 8, proof: [leafHashes[4], l1[3], l2[0]]),
    ]

    struct Consistency: Sendable, CustomTestStringConvertible {
        var size1: Int
        var size2: Int
        var proof: [[UInt8]]
        var testDescription: String { "\(size1) → \(size2)" }
    }

    static let consistencyProofs: [Consistency] = [
        Consistency(size1: 1, size2: 1, proof: []),
        Consistency(size1: 1, size2: 8, proof: [leafHashes[1], l1[1], l2[1]]),
        Consistency(size1: 2, size2: 5, proof: [l1[1], leafHashes[4]]),
        Consistency(size1: 6, size2: 8, proof: [l1[2], l1[3], l2[0]]),
        Consistency(size1: 6, size2: 7, proof: [l1[2], leafHashes[6], l2[0]]),
    ]
}

private func inclusionHolds(_ leaf: [UInt8], _ index: Int, _ size: Int, _ proof: [[UInt8]], _ root: [UInt8]) -> Bool {
    do {
        try MerkleProof.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root)
        return true
    } catch {
        #expect(error.code == .verificationFailed)
        return false
    }
}

private func consistencyHolds(_ size1: Int, _ size2: Int, _ proof: [[UInt8]], _ root1: [UInt8], _ root2: [UInt8])
    -> Bool
{
    do {
        try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
        return true
    } catch {
        #expect(error.code == .verificationFailed)
        return false
    }
}

/// A hash with one bit flipped.
private func flipped(_ hash: [UInt8], bit: Int = 0) -> [UInt8] {
    var out = hash
    out[bit / 8 % out.count] ^= UInt8(1 << (bit % 8))
    return out
}

/// The proof with garbage around it, elements inserted, removed, modified, or cut short: every
/// variant differs from the genuine proof and must be rejected.
private func mutations(of proof: [[UInt8]]) -> [(String, [[UInt8]])] {
    let garbage = Hash.sha256(Array("garbage".utf8))
    var out: [(String, [[UInt8]])] = [
        ("garbage before", [garbage] + proof),
        ("garbage after", proof + [garbage]),
        ("a leaf-hash-length element of zeros appended", proof + [[UInt8](repeating: 0, count: 32)]),
    ]
    for i in proof.indices {
        out.append(
            (
                "element \(i) modified",
                proof.enumerated().map { $0.offset == i ? flipped($0.element, bit: 77) : $0.element }
            ))
        out.append(
            (
                "element \(i) truncated to 31 bytes",
                proof.enumerated().map { $0.offset == i ? Array($0.element.dropLast()) : $0.element }
            ))
        out.append(
            (
                "element \(i) extended to 33 bytes",
                proof.enumerated().map { $0.offset == i ? $0.element + [0] : $0.element }
            ))
        var removed = proof
        removed.remove(at: i)
        out.append(("element \(i) removed", removed))
        var inserted = proof
        inserted.insert(garbage, at: i)
        out.append(("element inserted at \(i)", inserted))
        var duplicated = proof
        duplicated.insert(proof[i], at: i)
        out.append(("element \(i) duplicated", duplicated))
    }
    if !proof.isEmpty {
        out.append(("truncated (last removed)", Array(proof.dropLast())))
        out.append(("empty", []))
        out.append(("reversed", proof.count > 1 ? proof.reversed() : proof + proof))
    }
    return out
}

private func streamed(_ ranges: [Range<Int>], leaves: [[UInt8]]) throws -> [[UInt8]] {
    var hasher = MerkleTree.RangeHasher(ranges: ranges)
    for leaf in leaves { hasher.append(leaf) }
    return try hasher.finish()
}

@Suite struct MerkleTests {
    // MARK: hashing

    @Test func emptyTreeRootIsSHA256OfNothing() {
        #expect(MerkleTree.emptyRoot == vectorHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        #expect(MerkleTree.root(leafHashes: []) == MerkleTree.emptyRoot)
        #expect(MerkleTree.CompactRange().root == MerkleTree.emptyRoot)
    }

    @Test func leafAndNodeHashesMatchRFC6962() {
        #expect(
            MerkleTree.leafHash([]) == vectorHex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"))
        #expect(
            MerkleTree.leafHash(Array("L123456".utf8))
                == vectorHex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"))
        #expect(
            MerkleTree.nodeHash(Array("N123".utf8), Array("N456".utf8))
                == vectorHex("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"))
        // The audit log's own leaf function is the same one.
        #expect(AuditEntry.leafHash(of: Array("L123456".utf8)) == MerkleTree.leafHash(Array("L123456".utf8)))
    }

    @Test func referenceTreeLeafHashes() {
        #expect(RFC6962Vectors.leafData.map(MerkleTree.leafHash) == RFC6962Vectors.leafHashes)
    }

    @Test(arguments: 0...8) func referenceTreeRoots(size: Int) {
        let leaves = Array(RFC6962Vectors.leafHashes[0..<size])
        #expect(MerkleTree.root(leafHashes: leaves) == RFC6962Vectors.roots[size])
        var compact = MerkleTree.CompactRange()
        for leaf in leaves { compact.append(leaf) }
        #expect(compact.size == size)
        #expect(compact.root == RFC6962Vectors.roots[size])
    }

    @Test func referenceTreeInnerNodes() {
        let l = RFC6962Vectors.leafHashes
        for i in 0..<4 { #expect(MerkleTree.nodeHash(l[2 * i], l[2 * i + 1]) == RFC6962Vectors.l1[i]) }
        for i in 0..<2 {
            #expect(MerkleTree.nodeHash(RFC6962Vectors.l1[2 * i], RFC6962Vectors.l1[2 * i + 1]) == RFC6962Vectors.l2[i])
        }
        #expect(MerkleTree.nodeHash(RFC6962Vectors.l2[0], RFC6962Vectors.l2[1]) == RFC6962Vectors.roots[8])
    }

    // MARK: inclusion proofs

    @Test(arguments: RFC6962Vectors.inclusionProofs) func inclusionProofVectors(_ v: RFC6962Vectors.Inclusion) throws {
        let generated = try MerkleTree.inclusionProof(
            index: v.index, size: v.size, leafHashes: RFC6962Vectors.leafHashes)
        #expect(generated == v.proof)
        #expect(
            inclusionHolds(RFC6962Vectors.leafHashes[v.index], v.index, v.size, v.proof, RFC6962Vectors.roots[v.size]))
    }

    @Test(arguments: RFC6962Vectors.inclusionProofs) func inclusionProofMutationsFail(_ v: RFC6962Vectors.Inclusion) {
        let leaf = RFC6962Vectors.leafHashes[v.index]
        let root = RFC6962Vectors.roots[v.size]
        // Wrong index: ±1 and xor with 1 and 2.
        for index in Set([v.index - 1, v.index + 1, v.index ^ 1, v.index ^ 2, -1, v.size, Int.max])
        where index != v.index {
            #expect(!inclusionHolds(leaf, index, v.size, v.proof, root), "index \(index)")
        }
        // Wrong size: ×2, ÷2, 0, negative, huge. (Not ±1: an RFC 6962 path binds the size only
        // as far as it shapes the path, so leaf 1's path in a tree of 5 is also its path in a
        // tree of 6 — with a different root, which is what a verifier holds on to.)
        for size in Set([v.size * 2, v.size / 2, 0, -1, Int.max]) where size != v.size {
            #expect(!inclusionHolds(leaf, v.index, size, v.proof, root), "size \(size)")
        }
        // Wrong leaf: another leaf, a modified hash, the data instead of its hash, a short hash.
        #expect(!inclusionHolds(flipped(leaf), v.index, v.size, v.proof, root))
        #expect(!inclusionHolds(RFC6962Vectors.leafHashes[(v.index + 1) % 8], v.index, v.size, v.proof, root))
        #expect(!inclusionHolds(Array(leaf.dropLast()), v.index, v.size, v.proof, root))
        #expect(!inclusionHolds(MerkleTree.leafHash(leaf), v.index, v.size, v.proof, root))
        // Wrong root: modified, another size's, empty tree's, short.
        #expect(!inclusionHolds(leaf, v.index, v.size, v.proof, flipped(root, bit: 255)))
        #expect(!inclusionHolds(leaf, v.index, v.size, v.proof, RFC6962Vectors.roots[v.size == 8 ? 7 : v.size + 1]))
        #expect(!inclusionHolds(leaf, v.index, v.size, v.proof, MerkleTree.emptyRoot))
        #expect(!inclusionHolds(leaf, v.index, v.size, v.proof, []))
        // Each element modified, inserted, removed; garbage before/after; truncated; empty.
        for (what, proof) in mutations(of: v.proof) {
            #expect(!inclusionHolds(leaf, v.index, v.size, proof, root), "\(what)")
        }
    }

    @Test func inclusionProofGenerationRejectsBadArguments() {
        #expect(throws: VaultError.self) {
            try MerkleTree.inclusionProof(index: 8, size: 8, leafHashes: RFC6962Vectors.leafHashes)
        }
        #expect(throws: VaultError.self) {
            try MerkleTree.inclusionProof(index: -1, size: 8, leafHashes: RFC6962Vectors.leafHashes)
        }
        #expect(throws: VaultError.self) {
            try MerkleTree.inclusionProof(index: 0, size: 0, leafHashes: RFC6962Vectors.leafHashes)
        }
        #expect(throws: VaultError.self) {
            try MerkleTree.inclusionProof(index: 0, size: 9, leafHashes: RFC6962Vectors.leafHashes)
        }
    }

    // MARK: consistency proofs

    @Test(arguments: RFC6962Vectors.consistencyProofs) func consistencyProofVectors(_ v: RFC6962Vectors.Consistency)
        throws
    {
        let generated = try MerkleTree.consistencyProof(
            from: v.size1, to: v.size2, leafHashes: RFC6962Vectors.leafHashes)
        #expect(generated == v.proof)
        #expect(
            consistencyHolds(v.size1, v.size2, v.proof, RFC6962Vectors.roots[v.size1], RFC6962Vectors.roots[v.size2]))
    }

    @Test(arguments: RFC6962Vectors.consistencyProofs) func consistencyProofMutationsFail(
        _ v: RFC6962Vectors.Consistency
    ) {
        let r1 = RFC6962Vectors.roots[v.size1]
        let r2 = RFC6962Vectors.roots[v.size2]
        // Wrong sizes: ×2, ÷2 of either size, ±1 of the smaller, and the two swapped (size1 >
        // size2). (Not ±1 of the larger: as with inclusion, the path binds it only through its shape.)
        let sizes = [
            (v.size1 * 2, v.size2), (v.size1 / 2, v.size2), (v.size1 + 1, v.size2), (v.size1 - 1, v.size2),
            (v.size1, v.size2 * 2), (v.size1, v.size2 / 2), (v.size2, v.size1), (-1, v.size2), (v.size1, Int.max),
        ]
        for (s1, s2) in sizes where (s1, s2) != (v.size1, v.size2) {
            #expect(!consistencyHolds(s1, s2, v.proof, r1, r2), "sizes \(s1) → \(s2)")
        }
        // Wrong or swapped roots.
        if r1 != r2 { #expect(!consistencyHolds(v.size1, v.size2, v.proof, r2, r1), "swapped roots") }
        #expect(!consistencyHolds(v.size1, v.size2, v.proof, flipped(r1), r2), "first root modified")
        #expect(!consistencyHolds(v.size1, v.size2, v.proof, r1, flipped(r2)), "second root modified")
        #expect(!consistencyHolds(v.size1, v.size2, v.proof, MerkleTree.emptyRoot, r2), "first root empty tree's")
        #expect(!consistencyHolds(v.size1, v.size2, v.proof, r1, Array(r2.dropLast())), "second root short")
        // Each element modified, inserted, removed; garbage before/after; truncated; empty.
        for (what, proof) in mutations(of: v.proof) {
            #expect(!consistencyHolds(v.size1, v.size2, proof, r1, r2), "\(what)")
        }
    }

    @Test func consistencyEdgeCases() {
        let roots = RFC6962Vectors.roots
        // Equal sizes: an empty proof and equal roots, nothing else.
        #expect(consistencyHolds(8, 8, [], roots[8], roots[8]))
        #expect(
            !consistencyHolds(8, 8, [RFC6962Vectors.leafHashes[0]], roots[8], roots[8]),
            "non-empty proof for equal sizes")
        #expect(!consistencyHolds(8, 8, [], roots[8], roots[7]), "equal sizes, different roots")
        // From the empty tree: an empty proof, and only the empty root.
        #expect(consistencyHolds(0, 8, [], MerkleTree.emptyRoot, roots[8]))
        #expect(consistencyHolds(0, 0, [], MerkleTree.emptyRoot, MerkleTree.emptyRoot))
        #expect(!consistencyHolds(0, 8, [RFC6962Vectors.leafHashes[0]], MerkleTree.emptyRoot, roots[8]))
        #expect(!consistencyHolds(0, 8, [], roots[1], roots[8]))
        // Empty proof where one is needed, and size1 > size2.
        #expect(!consistencyHolds(4, 8, [], roots[4], roots[8]))
        #expect(!consistencyHolds(8, 4, [RFC6962Vectors.l2[1]], roots[8], roots[4]))
        #expect(throws: VaultError.self) {
            try MerkleTree.consistencyProof(from: 5, to: 4, leafHashes: RFC6962Vectors.leafHashes)
        }
        #expect(throws: VaultError.self) {
            try MerkleTree.consistencyProof(from: 1, to: 9, leafHashes: RFC6962Vectors.leafHashes)
        }
        #expect(throws: VaultError.self) {
            try MerkleTree.consistencyProof(from: -1, to: 4, leafHashes: RFC6962Vectors.leafHashes)
        }
    }

    // MARK: properties

    @Test func everyProofForSizesUpTo64Verifies() throws {
        let leaves = (0..<64).map { MerkleTree.leafHash([UInt8($0), 0x5a]) }
        var roots = [MerkleTree.emptyRoot]
        var compact = MerkleTree.CompactRange()
        for n in 1...64 {
            compact.append(leaves[n - 1])
            let recursive = MerkleTree.root(leafHashes: Array(leaves[0..<n]))
            #expect(compact.root == recursive, "incremental root at size \(n)")
            roots.append(recursive)
        }
        for n in 1...64 {
            let prefix = Array(leaves[0..<n])
            for i in 0..<n {
                let proof = try MerkleTree.inclusionProof(index: i, size: n, leafHashes: prefix)
                #expect(inclusionHolds(leaves[i], i, n, proof, roots[n]), "inclusion of \(i) in \(n)")
                #expect(
                    !inclusionHolds(leaves[i], i, n, proof, roots[n - 1]),
                    "inclusion of \(i) in \(n) against a wrong root")
                let streamed = try streamed(try MerkleTree.inclusionRanges(index: i, size: n), leaves: prefix)
                #expect(streamed == proof)
            }
            for m in 0...n {
                let proof = try MerkleTree.consistencyProof(from: m, to: n, leafHashes: prefix)
                #expect(consistencyHolds(m, n, proof, roots[m], roots[n]), "consistency \(m) → \(n)")
                if m > 0 && m < n {
                    #expect(proof.count == MerkleProof.consistencyLength(size1: m, size2: n))
                    #expect(
                        !consistencyHolds(m, n, proof, roots[m], roots[n - 1]),
                        "consistency \(m) → \(n) against a wrong root")
                }
                let streamed = try streamed(try MerkleTree.consistencyRanges(from: m, to: n), leaves: prefix)
                #expect(streamed == proof)
            }
        }
    }

    @Test func rangeHasherNoticesAShortStream() {
        var hasher = MerkleTree.RangeHasher(ranges: [4..<8])
        for leaf in RFC6962Vectors.leafHashes[0..<6] { hasher.append(leaf) }
        #expect(throws: VaultError.self) { try hasher.finish() }
    }
}
