/// RFC 6962 / RFC 9162 Merkle tree hashing over the audit log's entries.
///
/// SHA-256; leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right); a tree of n
/// leaves splits at the largest power of two strictly below n. The two prefixes keep a leaf
/// from ever being taken for an inner node (the second-preimage attack RFC 6962 §2.1 names).
/// SHA-256 rather than BLAKE2b so that anyone can recompute a root with standard tools and the
/// published RFC 6962 test vectors apply.
///
/// Proof *generation* is here (RFC 9162 §2.1.3.1 `PATH` and §2.1.4.1 `SUBPROOF`, planned as
/// leaf ranges so that proofs can be built while streaming the log once); proof *verification*
/// is in `MerkleProof`.
enum MerkleTree {
    static let hashBytes = 32
    static let emptyRoot = Hash.sha256([])

    static func leafHash(_ data: [UInt8]) -> [UInt8] { Hash.sha256([0], data) }
    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { Hash.sha256([1], left, right) }

    /// The root over already-hashed leaves (RFC 6962 `MTH`, computed recursively).
    static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        guard !leafHashes.isEmpty else { return emptyRoot }
        return subtreeRoot(leafHashes[...])
    }

    /// `MTH` of a non-empty run of leaf hashes.
    static func subtreeRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.count == 1 { return leaves[leaves.startIndex] }
        let k = largestPowerOfTwo(below: leaves.count)
        let mid = leaves.startIndex + k
        return nodeHash(subtreeRoot(leaves[..<mid]), subtreeRoot(leaves[mid...]))
    }

    /// The largest power of two strictly less than n (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    // MARK: proof generation

    /// The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves.
    static func inclusionProof(index: Int, size: Int, leafHashes: [[UInt8]]) throws(VaultError) -> [[UInt8]] {
        guard size <= leafHashes.count else {
            throw VaultError(.invalidInput, "an inclusion proof for tree size \(size) needs that many leaves")
        }
        return try inclusionRanges(index: index, size: size).map { leafRange in subtreeRoot(leafHashes[leafRange]) }
    }

    /// The consistency proof from the tree of the first `size1` leaves to that of the first
    /// `size2`. Empty when the sizes are equal or `size1` is 0 (nothing to prove).
    static func consistencyProof(from size1: Int, to size2: Int, leafHashes: [[UInt8]]) throws(VaultError) -> [[UInt8]]
    {
        guard size2 <= leafHashes.count else {
            throw VaultError(.invalidInput, "a consistency proof to tree size \(size2) needs that many leaves")
        }
        return try consistencyRanges(from: size1, to: size2).map { leafRange in subtreeRoot(leafHashes[leafRange]) }
    }

    /// RFC 9162 §2.1.3.1 `PATH(m, D[n])` as the leaf ranges whose subtree roots form the proof,
    /// in proof order. The ranges are disjoint, so one pass over the leaves can hash them all.
    static func inclusionRanges(index: Int, size: Int) throws(VaultError) -> [Range<Int>] {
        guard size > 0, index >= 0, index < size else {
            throw VaultError(.invalidInput, "leaf \(index) is not in a tree of size \(size)")
        }
        var out: [Range<Int>] = []
        path(index, 0..<size, into: &out)
        return out
    }

    /// `PATH(m, D[lo..<hi])`, appending deepest-first (the order RFC 9162 lists them in).
    private static func path(_ m: Int, _ leaves: Range<Int>, into out: inout [Range<Int>]) {
        let n = leaves.count
        guard n > 1 else { return }
        let k = largestPowerOfTwo(below: n)
        let split = leaves.lowerBound + k
        if m < k {
            path(m, leaves.lowerBound..<split, into: &out)
            out.append(split..<leaves.upperBound)
        } else {
            path(m - k, split..<leaves.upperBound, into: &out)
            out.append(leaves.lowerBound..<split)
        }
    }

    /// RFC 9162 §2.1.4.1 `PROOF(m, D[n])` as leaf ranges, in proof order; disjoint.
    static func consistencyRanges(from size1: Int, to size2: Int) throws(VaultError) -> [Range<Int>] {
        guard size1 >= 0, size1 <= size2 else {
            throw VaultError(.invalidInput, "no consistency proof from tree size \(size1) to the smaller \(size2)")
        }
        // By convention (RFC 9162 §2.1.4) the proof between equal trees, or from the empty
        // tree, is empty: there is nothing a verifier needs beyond the two roots.
        guard size1 > 0, size1 < size2 else { return [] }
        var out: [Range<Int>] = []
        subproof(size1, 0..<size2, complete: true, into: &out)
        return out
    }

    /// `SUBPROOF(m, D[lo..<hi], b)`.
    private static func subproof(_ m: Int, _ leaves: Range<Int>, complete: Bool, into out: inout [Range<Int>]) {
        let n = leaves.count
        if m == n {
            if !complete { out.append(leaves) }
            return
        }
        let k = largestPowerOfTwo(below: n)
        let split = leaves.lowerBound + k
        if m <= k {
            subproof(m, leaves.lowerBound..<split, complete: complete, into: &out)
            out.append(split..<leaves.upperBound)
        } else {
            subproof(m - k, split..<leaves.upperBound, complete: false, into: &out)
            out.append(leaves.lowerBound..<split)
        }
    }
}

extension MerkleTree {
    /// The tree's right edge: the roots of the perfect subtrees that the binary digits of its
    /// size decompose it into, largest (leftmost) first — a "compact range" over `0..<size`.
    ///
    /// Appending a leaf merges at most log₂ n subtrees, and the root is a fold over at most
    /// log₂ n hashes, so the log's root is maintained in O(log n) time and memory per entry,
    /// and a million-entry log is hashed streaming, never held in memory.
    struct CompactRange: Sendable, Equatable {
        private(set) var size = 0
        /// One hash per set bit of `size`, from the highest bit to the lowest.
        private(set) var nodes: [[UInt8]] = []

        init() {}

        mutating func append(_ leafHash: [UInt8]) {
            var hash = leafHash
            var s = size
            // Each trailing 1-bit of the old size is a perfect subtree of the same height as
            // the one being carried: merge them, exactly as binary addition carries.
            while s & 1 == 1, let left = nodes.popLast() {
                hash = MerkleTree.nodeHash(left, hash)
                s >>= 1
            }
            nodes.append(hash)
            size += 1
        }

        /// `MTH` of the leaves appended so far; the hash of the empty string when none were.
        var root: [UInt8] {
            guard var hash = nodes.last else { return MerkleTree.emptyRoot }
            for left in nodes.dropLast().reversed() { hash = MerkleTree.nodeHash(left, hash) }
            return hash
        }
    }

    /// Hashes the subtree roots of a set of disjoint leaf ranges (a proof plan from
    /// `inclusionRanges` or `consistencyRanges`) while the leaves stream past once, in order.
    /// Memory is O(log n) per range.
    struct RangeHasher {
        private let ranges: [Range<Int>]
        /// Indices into `ranges`, sorted by where each range starts.
        private let order: [Int]
        private var next = 0
        private var current = CompactRange()
        private var results: [[UInt8]?]
        private(set) var leavesSeen = 0

        init(ranges: [Range<Int>]) {
            self.ranges = ranges
            self.order = ranges.indices.sorted { ranges[$0].lowerBound < ranges[$1].lowerBound }
            self.results = Array(repeating: nil, count: ranges.count)
        }

        /// Feeds the next leaf (the leaf with index `leavesSeen`).
        mutating func append(_ leafHash: [UInt8]) {
            defer { leavesSeen += 1 }
            guard next < order.count else { return }
            let r = ranges[order[next]]
            guard r.contains(leavesSeen) else { return }
            current.append(leafHash)
            if leavesSeen == r.upperBound - 1 {
                results[order[next]] = current.root
                current = CompactRange()
                next += 1
            }
        }

        /// The subtree roots in plan order, once every range has been seen whole.
        func finish() throws(VaultError) -> [[UInt8]] {
            var out: [[UInt8]] = []
            for r in results {
                guard let r else { throw VaultError(.corrupt, "the log ended before the proof could be built") }
                out.append(r)
            }
            return out
        }
    }
}
