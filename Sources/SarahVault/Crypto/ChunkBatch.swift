internal import CSodium
import Dispatch

/// A batch of consecutive chunks of one stream, sealed or opened on every core at once.
///
/// Chunks are independent (each has its own nonce from its index), so a batch can be spread
/// over threads with `concurrentPerform`; the order is kept by the buffers' slots. Plaintext
/// slots live in guarded memory. A batch is owned by one stream; while `process` runs in the
/// background the owner touches no other part of it (see `ChunkPipeline`).
final class ChunkBatch {
    static let capacity = 16  // 1 MiB of plaintext a batch

    let plain: SecureBytes
    let sealed: UnsafeMutableRawBufferPointer
    var plainLengths = [Int](repeating: 0, count: capacity)
    var sealedLengths = [Int](repeating: 0, count: capacity)
    var digests = [UInt8](repeating: 0, count: capacity * 32)
    var failedAt: Int?
    var firstIndex: UInt64 = 0
    var count = 0

    init() throws(VaultError) {
        plain = try SecureBytes(count: Self.capacity * ChunkedCipher.chunkSize)
        sealed = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.capacity * ChunkedCipher.sealedChunkSize, alignment: 64)
    }

    deinit { sealed.deallocate() }

    func plainSlot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        plain.withUnsafeMutableBytes {
            UnsafeMutableRawBufferPointer(rebasing: $0[i * ChunkedCipher.chunkSize..<(i + 1) * ChunkedCipher.chunkSize])
        }
    }

    func sealedSlot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(
            rebasing: sealed[i * ChunkedCipher.sealedChunkSize..<(i + 1) * ChunkedCipher.sealedChunkSize])
    }

    /// Seals (or opens) every chunk of the batch in parallel. `lastIndex` is the index of the
    /// stream's final chunk. Opening records the first chunk that fails in `failedAt`.
    func process(sealing: Bool, key: SecureBytes, binding: [UInt8], lastIndex: UInt64) {
        let job = Job(
            plain: plain.withUnsafeMutableBytes { $0 }, sealed: sealed, key: key.withPointer { $0 },
            binding: binding, firstIndex: firstIndex, lastIndex: lastIndex, count: count)
        let results = Results(inputLengths: Array((sealing ? plainLengths : sealedLengths)[0..<count]))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            job.run(i, sealing: sealing, results: results)
        }
        for i in 0..<count {
            if sealing {
                sealedLengths[i] = results.lengths[i]
            } else {
                plainLengths[i] = results.lengths[i]
            }
            if sealing {
                digests.replaceSubrange(
                    i * 32..<(i + 1) * 32, with: UnsafeBufferPointer(start: results.digests[i], count: 32))
            }
        }
        failedAt = results.failures.firstIndex(of: true)
        results.release()
    }

    /// The pointers one `process` call shares with its worker threads.
    ///
    /// `@unchecked Sendable`: each worker touches only slot `i` of the buffers, the key is only
    /// read, and `process` does not return before every worker has finished.
    private struct Job: @unchecked Sendable {
        let plain: UnsafeMutableRawBufferPointer
        let sealed: UnsafeMutableRawBufferPointer
        let key: UnsafePointer<UInt8>
        let binding: [UInt8]
        let firstIndex: UInt64
        let lastIndex: UInt64
        let count: Int

        func run(_ i: Int, sealing: Bool, results: Results) {
            let index = firstIndex + UInt64(i)
            let nonce = ChunkedCipher.nonce(index: index, final: index == lastIndex)
            let p = plain.baseAddress! + i * ChunkedCipher.chunkSize
            let s = sealed.baseAddress! + i * ChunkedCipher.sealedChunkSize
            let pu = p.assumingMemoryBound(to: UInt8.self)
            let su = s.assumingMemoryBound(to: UInt8.self)
            var written: UInt64 = 0
            if sealing {
                let n = results.lengths[i]
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    su, &written, pu, UInt64(n), binding, UInt64(binding.count), nil, nonce, key)
                results.lengths[i] = Int(written)
            } else {
                let n = results.lengths[i]
                let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
                    pu, &written, nil, su, UInt64(n), binding, UInt64(binding.count), nonce, key)
                results.failures[i] = rc != 0
                results.lengths[i] = rc == 0 ? Int(written) : 0
                return  // opening needs no digest
            }
            _ = crypto_generichash(results.digests[i], 32, su, written, nil, 0)
        }
    }

    /// Per-slot outputs, written by exactly one worker each.
    private final class Results: @unchecked Sendable {
        let lengths: UnsafeMutablePointer<Int>
        let failures: UnsafeMutableBufferPointer<Bool>
        let digests: [UnsafeMutablePointer<UInt8>]

        init(inputLengths: [Int]) {
            let count = inputLengths.count
            lengths = .allocate(capacity: max(count, 1))
            for (i, n) in inputLengths.enumerated() { lengths[i] = n }
            failures = .allocate(capacity: max(count, 1))
            failures.initialize(repeating: false)
            digests = (0..<max(count, 1)).map { _ in
                let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
                p.initialize(repeating: 0, count: 32)
                return p
            }
        }

        func release() {
            lengths.deallocate()
            failures.deallocate()
            for d in digests { d.deallocate() }
        }
    }
}

@available(*, unavailable)
extension ChunkBatch: Sendable {}
