import Dispatch

/// Where plaintext to be archived comes from: a file, or bytes in memory (the case record).
protocol ChunkSource: AnyObject {
    var size: Int64 { get }
    /// Fills `buffer` as far as the source allows; less than the buffer only at the end.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(VaultError) -> Int
}

extension ChunkReader: ChunkSource {}

final class BytesSource: ChunkSource {
    private var bytes: [UInt8]
    private var offset = 0
    var size: Int64 { Int64(bytes.count) }

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    deinit { Sodium.wipe(&bytes) }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(VaultError) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { src in
            if n > 0 { buffer.baseAddress?.copyMemory(from: src.baseAddress! + offset, byteCount: n) }
        }
        offset += n
        return n
    }
}

/// Streams a document through the chunk cipher a batch at a time, with two batches in flight:
/// while one batch is sealed (or opened) on every core, the caller's thread stores (or writes
/// out) the previous one. Memory stays at two batches whatever the document's size.
enum ChunkPipeline {
    struct Sealed {
        var size: Int64
        var chunks: Int64
        var ciphertextHash: [UInt8]
    }

    /// `@unchecked Sendable` box for handing a batch to the background job: the owner does not
    /// touch the batch until `group.wait()` returns.
    private struct Handoff: @unchecked Sendable {
        let batch: ChunkBatch
        let key: SecureBytes
        let binding: [UInt8]
        let sealing: Bool
        let lastIndex: UInt64
    }

    private static func start(_ h: Handoff, in group: DispatchGroup) {
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            h.batch.process(sealing: h.sealing, key: h.key, binding: h.binding, lastIndex: h.lastIndex)
        }
    }

    /// Seals `source` and hands each sealed chunk, in order, to `store`.
    static func seal(
        _ source: any ChunkSource, key: SecureBytes, binding: [UInt8],
        store: (_ index: Int64, _ sealed: UnsafeRawBufferPointer) throws(VaultError) -> Void,
        progress: ((Int64) -> Void)? = nil
    ) throws(VaultError) -> Sealed {
        let size = source.size
        let chunkSize = Int64(ChunkedCipher.chunkSize)
        let count = max(1, (size + chunkSize - 1) / chunkSize)
        let lastIndex = UInt64(count - 1)
        var next: UInt64 = 0

        func fill(_ b: ChunkBatch) throws(VaultError) -> Bool {
            guard next <= lastIndex else { return false }
            b.firstIndex = next
            b.count = 0
            while b.count < ChunkBatch.capacity && next <= lastIndex {
                let expected = next == lastIndex ? Int(size - Int64(lastIndex) * chunkSize) : ChunkedCipher.chunkSize
                let slot = UnsafeMutableRawBufferPointer(rebasing: b.plainSlot(b.count)[0..<expected])
                guard try source.fill(slot) == expected else { throw changed() }
                b.plainLengths[b.count] = expected
                b.count += 1
                next += 1
            }
            if next > lastIndex {
                var probe: UInt8 = 0
                let extra = try withUnsafeMutableBytes(of: &probe) { (p) throws(VaultError) in try source.fill(p) }
                guard extra == 0 else { throw changed() }
            }
            return true
        }

        let hasher = CiphertextHasher()
        var current = try ChunkBatch()
        var other = try ChunkBatch()
        let group = DispatchGroup()
        defer { group.wait() }  // never free a batch a worker still uses

        _ = try fill(current)
        current.process(sealing: true, key: key, binding: binding, lastIndex: lastIndex)
        var stored: Int64 = 0
        while true {
            let more = try fill(other)
            if more {
                start(Handoff(batch: other, key: key, binding: binding, sealing: true, lastIndex: lastIndex), in: group)
            }
            for i in 0..<current.count {
                let sealed = UnsafeRawBufferPointer(rebasing: current.sealedSlot(i)[0..<current.sealedLengths[i]])
                try store(Int64(current.firstIndex) + Int64(i), sealed)
                hasher.add(digest: Array(current.digests[i * 32..<(i + 1) * 32]))
                stored += Int64(current.plainLengths[i])
            }
            progress?(stored)
            guard more else { break }
            group.wait()
            swap(&current, &other)
        }
        return Sealed(size: size, chunks: count, ciphertextHash: hasher.finalize())
    }

    private static func changed() -> VaultError {
        VaultError(.io, "the file changed size while it was being archived: nothing was stored")
    }

    /// Opens the stored chunks of version `vid` and hands the plaintext, in order, to
    /// `output`. A batch's plaintext is released only when every chunk in it has opened.
    static func open(
        key: SecureBytes, binding: [UInt8], what: String, store: any VaultStore, vid: Int64,
        output: (UnsafeRawBufferPointer) throws(VaultError) -> Void
    ) throws(VaultError) {
        var current = try ChunkBatch()
        var other = try ChunkBatch()
        var pending: ChunkBatch?
        var sawLast = false
        let group = DispatchGroup()
        defer { group.wait() }

        func emit(_ b: ChunkBatch) throws(VaultError) {
            if let bad = b.failedAt {
                throw VaultError(
                    .authenticationFailed,
                    "\(what): chunk \(b.firstIndex + UInt64(bad)) does not decrypt: wrong key, or the data was altered, reordered, truncated or moved"
                )
            }
            for i in 0..<b.count {
                try output(UnsafeRawBufferPointer(rebasing: b.plainSlot(i)[0..<b.plainLengths[i]]))
            }
        }

        try store.forEachChunk(vid: vid) { (index, data, isLast) throws(VaultError) in
            guard !sawLast else { throw VaultError(.corrupt, "\(what): data follows the final chunk") }
            guard data.count >= AEAD.tagBytes, data.count <= ChunkedCipher.sealedChunkSize,
                isLast || data.count == ChunkedCipher.sealedChunkSize
            else {
                throw VaultError(.corrupt, "\(what): chunk \(index) has an impossible length")
            }
            if current.count == 0 { current.firstIndex = UInt64(index) }
            let slot = current.sealedSlot(current.count)
            slot.baseAddress?.copyMemory(from: data.baseAddress!, byteCount: data.count)
            current.sealedLengths[current.count] = data.count
            current.count += 1
            sawLast = isLast
            if current.count == ChunkBatch.capacity || isLast {
                if let p = pending {
                    group.wait()
                    try emit(p)
                }
                start(
                    Handoff(
                        batch: current, key: key, binding: binding, sealing: false,
                        lastIndex: isLast ? UInt64(index) : UInt64.max), in: group)
                pending = current
                swap(&current, &other)
                current.count = 0
            }
        }
        group.wait()
        if let p = pending { try emit(p) }
        guard sawLast else {
            throw VaultError(.authenticationFailed, "\(what) is truncated: its final chunk is missing")
        }
    }
}
