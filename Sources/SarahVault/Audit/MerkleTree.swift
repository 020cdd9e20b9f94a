/// RFC 6962 Merkle tree hashing (SHA-256; leaf = SHA-256(0x00 || data), node =
/// SHA-256(0x01 || left || right); a tree of n leaves splits at the largest power of two
/// below n).
enum MerkleTree {
    static let emptyRoot = Hash.sha256([])

    static func leafHash(_ data: [UInt8]) -> [UInt8] { Hash.sha256([0], data) }
    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { Hash.sha256([1], left, right) }

    /// The root over already-hashed leaves.
    static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        guard !leafHashes.isEmpty else { return emptyRoot }
        return root(leafHashes[...])
    }

    private static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.count == 1 { return leaves[leaves.startIndex] }
        let k = largestPowerOfTwo(below: leaves.count)
        let mid = leaves.startIndex + k
        return nodeHash(root(leaves[..<mid]), root(leaves[mid...]))
    }

    /// The largest power of two strictly less than n (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
