import Dispatch
import Foundation
import Testing

@testable import SarahVault

/// The chunk pipeline seals and opens a stream a batch at a time on worker queues, with the
/// caller's thread lending a hand. However many workers there are, and wherever a batch or the
/// ring of batches ends, the stream must be exactly the one FORMAT.md §7 defines.
@Suite struct ChunkPipelineTests {
    /// A stream held in memory, as the store would hand it out.
    struct ArrayChunks: StoredChunks {
        let chunks: [[UInt8]]

        func forEachChunk(
            _ body: (_ index: Int64, _ data: UnsafeRawBufferPointer, _ isLast: Bool) throws(VaultError) -> Void
        ) throws(VaultError) {
            for (i, chunk) in chunks.enumerated() {
                var failure: VaultError?
                chunk.withUnsafeBytes { data in
                    do throws(VaultError) { try body(Int64(i), data, i == chunks.count - 1) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        }
    }

    static func workers(_ n: Int) -> [DispatchQueue] {
        (0..<n).map { DispatchQueue(label: "test.chunk-worker.\($0)") }
    }

    static let binding = Array("sarahvault/test/pipeline".utf8)
    static let chunk = ChunkedCipher.chunkSize
    static let batch = ChunkBatch.capacity * chunk
    static let ring = ChunkPipeline.depth * batch

    /// Empty, one byte, around a chunk, around a batch, around the ring of batches, and longer.
    static let sizes = [
        0, 1, chunk - 1, chunk, chunk + 1, batch - 1, batch, batch + 1, ring, ring + 5, 2 * ring + 3 * chunk + 7,
    ]

    static func seal(_ plain: [UInt8], key: SecureBytes, workers: Int, digest: ChunkDigest.Kind = .sha256) throws
        -> (chunks: [[UInt8]], sealed: ChunkPipeline.Sealed)
    {
        var chunks: [[UInt8]] = []
        let sealed = try ChunkPipeline.seal(
            BytesSource(plain), key: key, binding: binding, digest: digest, workers: Self.workers(workers),
            store: { (index, data) throws(VaultError) in
                guard index == Int64(chunks.count) else {
                    throw VaultError(.internalError, "chunk \(index) out of order")
                }
                chunks.append([UInt8](data))
            })
        return (chunks, sealed)
    }

    static func open(_ chunks: [[UInt8]], key: SecureBytes, workers: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try ChunkPipeline.open(
            key: key, binding: binding, what: "the test stream", chunks: ArrayChunks(chunks: chunks),
            workers: Self.workers(workers), output: { out.append(contentsOf: $0) })
        return out
    }

    @Test(arguments: sizes)
    func everyWorkerCountWritesTheStreamOfTheFormat(size: Int) throws {
        let plain = Sodium.randomBytes(size)
        let key = try Sodium.randomSecret(32)
        let reference = try Self.seal(plain, key: key, workers: 0)

        // FORMAT.md §7, chunk by chunk with the plain AEAD call: the same bytes.
        let n = max(1, (size + Self.chunk - 1) / Self.chunk)
        #expect(reference.chunks.count == n)
        #expect(reference.sealed.chunks == Int64(n) && reference.sealed.size == Int64(size))
        for i in 0..<n {
            let part = Array(plain[min(size, i * Self.chunk)..<min(size, (i + 1) * Self.chunk)])
            let nonce = ChunkedCipher.nonce(index: UInt64(i), final: i == n - 1)
            #expect(reference.chunks[i] == AEAD.seal(part, key: key, nonce: nonce, ad: Self.binding), "chunk \(i)")
        }
        #expect(reference.sealed.ciphertextHash == Hash.sha256(reference.chunks.flatMap { Hash.sha256($0) }))

        for workers in [1, 3] {
            let other = try Self.seal(plain, key: key, workers: workers)
            #expect(other.chunks == reference.chunks, "\(workers) workers")
            #expect(other.sealed.ciphertextHash == reference.sealed.ciphertextHash)
        }
        for workers in [0, 1, 3] {
            #expect(try Self.open(reference.chunks, key: key, workers: workers) == plain, "\(workers) workers")
        }
    }

    @Test func aFormat1StreamIsHashedWithBLAKE2b() throws {
        let plain = Sodium.randomBytes(3 * Self.chunk + 11)
        let sealed = try Self.seal(plain, key: try Sodium.randomSecret(32), workers: 1, digest: .blake2b256)
        #expect(sealed.sealed.ciphertextHash == Hash.blake2b256(sealed.chunks.flatMap { Hash.blake2b256($0) }))
    }

    /// A bad chunk anywhere — in the first batch, the middle of the ring, the last chunk — is
    /// named by its index, and nothing after the batch before it is released.
    @Test(arguments: [0, 17, 70, 99])
    func aFlippedChunkIsNamedAndStopsTheStream(bad: Int) throws {
        let key = try Sodium.randomSecret(32)
        let plain = Sodium.randomBytes(100 * Self.chunk)
        var chunks = try Self.seal(plain, key: key, workers: 1).chunks
        chunks[bad][5] ^= 0x01
        for workers in [0, 1, 3] {
            var released = 0
            #expect {
                try ChunkPipeline.open(
                    key: key, binding: Self.binding, what: "the test stream", chunks: ArrayChunks(chunks: chunks),
                    workers: Self.workers(workers), output: { released += $0.count })
            } throws: { error in
                (error as? VaultError)?.message.contains("chunk \(bad) does not decrypt") == true
            }
            // Only whole batches before the bad one's batch may have been released.
            #expect(released <= (bad / ChunkBatch.capacity) * Self.batch, "\(workers) workers released \(released)")
        }
    }

    @Test func aStreamWithoutItsFinalChunkIsRefused() throws {
        let key = try Sodium.randomSecret(32)
        let chunks = try Self.seal(Sodium.randomBytes(40 * Self.chunk), key: key, workers: 1).chunks
        #expect {
            try Self.open(Array(chunks.prefix(32)), key: key, workers: 1)
        } throws: { error in
            (error as? VaultError)?.code == .authenticationFailed
        }
    }

    /// A store that fails part-way (a full disk) ends the seal with its error, whatever is
    /// still being sealed in the background; nothing hangs and nothing is stored after it.
    @Test(arguments: [0, 1, 3])
    func aFailingStoreEndsTheSealWithItsError(workers: Int) throws {
        let key = try Sodium.randomSecret(32)
        var stored = 0
        #expect {
            _ = try ChunkPipeline.seal(
                BytesSource(Sodium.randomBytes(3 * Self.ring)), key: key, binding: Self.binding, digest: .sha256,
                workers: Self.workers(workers),
                store: { (index, _) throws(VaultError) in
                    if index == 37 { throw VaultError(.io, "the disk is full") }
                    stored += 1
                })
        } throws: { error in
            (error as? VaultError)?.message == "the disk is full"
        }
        #expect(stored == 37)
    }

    /// A source that gives less than its size said (a file cut while it is read) is refused.
    @Test func aSourceThatShrinksIsRefused() throws {
        final class Shrinking: ChunkSource {
            let size: Int64 = 10 * Int64(ChunkedCipher.chunkSize)
            var left = 7 * ChunkedCipher.chunkSize + 3
            func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(VaultError) -> Int {
                let n = min(left, buffer.count)
                left -= n
                return n
            }
        }
        #expect {
            _ = try ChunkPipeline.seal(
                Shrinking(), key: try Sodium.randomSecret(32), binding: Self.binding, digest: .sha256,
                store: { (_, _) throws(VaultError) in })
        } throws: { error in
            (error as? VaultError)?.message.contains("changed size") == true
        }
    }
}
