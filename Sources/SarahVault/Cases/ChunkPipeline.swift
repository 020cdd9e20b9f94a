import Dispatch
import Foundation

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

/// The stored chunks of one stream, in order.
protocol StoredChunks {
    /// Calls `body` with each chunk, its index and whether it is the last one stored.
    func forEachChunk(
        _ body: (_ index: Int64, _ data: UnsafeRawBufferPointer, _ isLast: Bool) throws(VaultError) -> Void
    ) throws(VaultError)
}

/// The chunks of version `vid` in a store.
struct StoredVersionChunks: StoredChunks {
    let store: any VaultStore
    let vid: Int64

    func forEachChunk(
        _ body: (_ index: Int64, _ data: UnsafeRawBufferPointer, _ isLast: Bool) throws(VaultError) -> Void
    ) throws(VaultError) {
        try store.forEachChunk(vid: vid, body)
    }
}

/// Streams a document through the chunk cipher a batch at a time, with `depth` batches in
/// flight: while the caller's thread reads the next batch and stores (or writes out) the
/// oldest, the batches between are sealed (or opened) chunk by chunk by one worker per core
/// but one; the caller's thread seals too whenever it would otherwise wait. Memory stays at
/// `depth` batches whatever the document's size, and the caller's thread is the only one that
/// touches the source, the store and the output.
///
/// Why one worker fewer than cores: storing is serial (one SQLite connection) and is the
/// longest single task, so it must never queue behind sealing for a core; sealing fills every
/// moment the store leaves free.
enum ChunkPipeline {
    /// Batches in flight: enough that the workers always have a sealed batch's successor to
    /// work on while the caller stores (8 MiB in all).
    static let depth = 4

    /// Serial queues, one per core but one, that seal or open the chunks of started batches;
    /// at most seven, as many as the chunks in flight can keep busy.
    static func workers() -> [DispatchQueue] {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return (0..<min(cores - 1, 7)).map {
            DispatchQueue(label: "sarahvault.chunk-worker.\($0)", qos: .userInitiated)
        }
    }

    struct Sealed {
        var size: Int64
        var chunks: Int64
        var ciphertextHash: [UInt8]
    }

    /// Seals `source` and hands each sealed chunk, in order, to `store`; the ciphertext hash is
    /// made with `digest` (the vault format's, `VaultFormat.chunkDigest`).
    static func seal(
        _ source: any ChunkSource, key: SecureBytes, binding: [UInt8], digest: ChunkDigest.Kind,
        workers: [DispatchQueue] = workers(),
        store: (_ index: Int64, _ sealed: UnsafeRawBufferPointer) throws(VaultError) -> Void,
        progress: ((Int64) -> Void)? = nil
    ) throws(VaultError) -> Sealed {
        let size = source.size
        let chunkSize = Int64(ChunkedCipher.chunkSize)
        let count = max(1, (size + chunkSize - 1) / chunkSize)
        let lastIndex = UInt64(count - 1)
        var next: UInt64 = 0

        /// Reads the next batch of plaintext into `b`; false when the source is done.
        func fill(_ b: ChunkBatch) throws(VaultError) -> Bool {
            guard next <= lastIndex else { return false }
            b.firstIndex = next
            b.count = 0
            while b.count < ChunkBatch.capacity && next <= lastIndex {
                let expected = next == lastIndex ? Int(size - Int64(lastIndex) * chunkSize) : ChunkedCipher.chunkSize
                let slot = UnsafeMutableRawBufferPointer(rebasing: b.plainSlot(b.count)[0..<expected])
                guard try source.fill(slot) == expected else { throw changed() }
                b.setPlaintextLength(b.count, expected)
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
        func start(_ b: ChunkBatch) {
            b.start(.seal(digest: digest), key: key, binding: binding, lastIndex: lastIndex, on: workers)
        }

        let hasher = CiphertextHasher(digest)
        var ring: [ChunkBatch] = []
        defer { for b in ring { b.abandon() } }  // never let go of the key while a worker uses it
        for _ in 0..<depth {
            let b = try ChunkBatch()
            ring.append(b)
            guard try fill(b) else { break }
            start(b)
        }
        var stored: Int64 = 0
        var oldest = 0
        while ring[oldest].count > 0 {
            let b = ring[oldest]
            b.wait()
            for i in 0..<b.count {
                try store(Int64(b.firstIndex) + Int64(i), b.ciphertext(i))
                hasher.add(digest: b.digest(i))
                stored += Int64(b.plaintext(i).count)
            }
            progress?(stored)
            if try fill(b) {
                start(b)
            } else {
                b.count = 0
            }
            oldest = (oldest + 1) % ring.count
        }
        return Sealed(size: size, chunks: count, ciphertextHash: hasher.finalize())
    }

    private static func changed() -> VaultError {
        VaultError(.io, "the file changed size while it was being archived: nothing was stored")
    }

    /// Opens the stored chunks `chunks` and hands the plaintext, in order, to `output`. A
    /// batch's plaintext is released only when every chunk in it, and every chunk before it,
    /// has opened.
    static func open(
        key: SecureBytes, binding: [UInt8], what: String, chunks: some StoredChunks,
        workers: [DispatchQueue] = workers(),
        output: (UnsafeRawBufferPointer) throws(VaultError) -> Void
    ) throws(VaultError) {
        var ring: [ChunkBatch] = []
        for _ in 0..<depth { ring.append(try ChunkBatch()) }
        defer { for b in ring { b.abandon() } }
        var filling = 0  // the batch being filled; the ones after it, in order, are in flight
        var inFlight = 0
        var sawLast = false

        func emitOldest() throws(VaultError) {
            let b = ring[(filling + ring.count - inFlight) % ring.count]
            b.wait()
            inFlight -= 1
            if let bad = b.failedAt {
                throw VaultError(
                    .authenticationFailed,
                    "\(what): chunk \(b.firstIndex + UInt64(bad)) does not decrypt: wrong key, or the data was altered, reordered, truncated or moved"
                )
            }
            for i in 0..<b.count { try output(b.plaintext(i)) }
        }

        try chunks.forEachChunk { (index, data, isLast) throws(VaultError) in
            guard !sawLast else { throw VaultError(.corrupt, "\(what): data follows the final chunk") }
            guard data.count >= AEAD.tagBytes, data.count <= ChunkedCipher.sealedChunkSize,
                isLast || data.count == ChunkedCipher.sealedChunkSize
            else {
                throw VaultError(.corrupt, "\(what): chunk \(index) has an impossible length")
            }
            let current = ring[filling]
            if current.count == 0 { current.firstIndex = UInt64(index) }
            current.sealedSlot(current.count).baseAddress?.copyMemory(from: data.baseAddress!, byteCount: data.count)
            current.setCiphertextLength(current.count, data.count)
            current.count += 1
            sawLast = isLast
            if current.count == ChunkBatch.capacity || isLast {
                current.start(
                    .open, key: key, binding: binding, lastIndex: isLast ? UInt64(index) : UInt64.max, on: workers)
                inFlight += 1
                filling = (filling + 1) % ring.count
                if inFlight == ring.count { try emitOldest() }
                ring[filling].count = 0
            }
        }
        while inFlight > 0 { try emitOldest() }
        guard sawLast else {
            throw VaultError(.authenticationFailed, "\(what) is truncated: its final chunk is missing")
        }
    }
}
