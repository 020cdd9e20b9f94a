internal import CSodium
import Dispatch
import Synchronization

/// A batch of consecutive chunks of one stream, sealed or opened in the background by the
/// pipeline's workers, with the owner's thread lending a hand when it waits.
///
/// Chunks are independent (each has its own nonce from its index), so whoever is free claims
/// the next pair of them with an atomic counter (a pair: half the claims of one chunk at a
/// time); the order is kept by the buffers' slots. There is one
/// worker fewer than there are cores: the owner's thread, which stores the sealed chunks, keeps
/// a core of its own while it has work and seals chunks itself when it would otherwise wait.
/// Plaintext slots live in guarded memory. A batch is owned by one stream; between `start` and
/// `wait` the owner touches no part of it except through `wait` (see `ChunkPipeline`), and
/// whoever claims a pair touches only those chunks' slots.
///
/// Memory: `plain` is guarded memory (`SecureBytes`) the batch owns from `init` to `deinit`;
/// `sealed` and `slots` are ordinary allocations it owns the same way. Workers reach the
/// guarded memory and the key only inside `withUnsafe…` closures of the `SecureBytes` a `Job`
/// holds strong references to; the one pointer into guarded memory that leaves a closure is
/// `plainSlot`'s, explained there.
final class ChunkBatch {
    static let capacity = 16  // 1 MiB of plaintext a batch

    let plain: SecureBytes
    let sealed: UnsafeMutableRawBufferPointer
    /// Per slot: the plaintext length, the sealed length, a failure flag and the sealed chunk's
    /// digest, written by the one worker of that slot.
    private let slots: UnsafeMutablePointer<Slot>
    private let group = DispatchGroup()
    private let claims = Claims()
    private var job: Job?
    var firstIndex: UInt64 = 0
    var count = 0

    struct Slot {
        var plainLength = 0
        var sealedLength = 0
        var failed = false
        var digest = ChunkDigest()
    }

    init() throws(VaultError) {
        plain = try SecureBytes(count: Self.capacity * ChunkedCipher.chunkSize)
        sealed = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.capacity * ChunkedCipher.sealedChunkSize, alignment: 64)
        slots = .allocate(capacity: Self.capacity)
        slots.initialize(repeating: Slot(), count: Self.capacity)
    }

    deinit {
        abandon()  // never free memory a worker still writes
        slots.deinitialize(count: Self.capacity)
        slots.deallocate()
        sealed.deallocate()
    }

    /// Slot `i` of the plaintext, for the owner to fill (sealing) or read (opened).
    ///
    /// The exception to "no pointer into guarded memory leaves the closure that lends it": the
    /// slot is handed to `ChunkPipeline`, which reads a file into it or writes it out, and a
    /// closure-shaped API would put a closure around every chunk read or write there. It is safe
    /// because of who owns the memory and for how long: `plain` is a `let` of this batch, and
    /// `SecureBytes` never moves or reallocates its bytes (one `sodium_malloc` in `init`, one
    /// `sodium_free` in `deinit`), so the pointer is valid exactly as long as the batch is alive.
    /// The pipeline holds every batch in its ring for the whole stream and uses a slot only
    /// between `wait` (or before the first `start`) and the next `start`, when no worker touches
    /// it; nothing keeps the pointer past that use. `plaintext(_:)` below is the same pointer, cut
    /// to the chunk's length.
    func plainSlot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        precondition(i >= 0 && i < Self.capacity, "a batch has \(Self.capacity) slots")
        return plain.withUnsafeMutableBytes {
            UnsafeMutableRawBufferPointer(rebasing: $0[i * ChunkedCipher.chunkSize..<(i + 1) * ChunkedCipher.chunkSize])
        }
    }

    func sealedSlot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(
            rebasing: sealed[i * ChunkedCipher.sealedChunkSize..<(i + 1) * ChunkedCipher.sealedChunkSize])
    }

    /// The plaintext of slot `i`, as long as it is (after sealing's input or opening's output).
    func plaintext(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: plainSlot(i)[0..<slots[i].plainLength])
    }

    /// The sealed chunk of slot `i`, as long as it is.
    func ciphertext(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: sealedSlot(i)[0..<slots[i].sealedLength])
    }

    func digest(_ i: Int) -> ChunkDigest { slots[i].digest }

    /// The length of the plaintext put in slot `i`, before sealing starts.
    func setPlaintextLength(_ i: Int, _ n: Int) { slots[i].plainLength = n }

    /// The length of the sealed chunk put in slot `i`, before opening starts.
    func setCiphertextLength(_ i: Int, _ n: Int) {
        slots[i].sealedLength = n
        slots[i].failed = false
    }

    /// The first slot that did not open, once `wait` has returned.
    var failedAt: Int? { (0..<count).first { slots[$0].failed } }

    /// What a batch's work does to each chunk: seal it and digest the sealed bytes (on the same
    /// core, while they are still in cache), or open it.
    enum Work: Sendable {
        case seal(digest: ChunkDigest.Kind)
        case open
    }

    /// Starts `work` on every chunk of the batch on `workers` and returns at once; `wait`
    /// returns when every chunk is done. `lastIndex` is the index of the stream's final chunk.
    /// The job holds `key` (and `plain`) strongly, so the guarded memory outlives every work
    /// item that reads it; workers reach it only inside `withPointer` / `withUnsafeMutableBytes`.
    func start(_ work: Work, key: SecureBytes, binding: [UInt8], lastIndex: UInt64, on workers: [DispatchQueue]) {
        precondition(job == nil, "a batch started twice")
        precondition(key.count == AEAD.keyBytes, "a stream key is 32 bytes")
        claims.reset()
        let job = Job(
            plain: plain, sealed: sealed, slots: slots, key: key,
            binding: binding, firstIndex: firstIndex, lastIndex: lastIndex, count: count, work: work)
        self.job = job
        let claims = self.claims
        for worker in workers {
            worker.async(group: group) { job.drain(claims) }
        }
    }

    /// Seals (or opens) the chunks no worker has claimed yet, then waits for the ones they
    /// have; afterwards the owner may read and refill the batch.
    func wait() {
        guard let job else { return }
        job.drain(claims)
        group.wait()
        self.job = nil
    }

    /// Stops handing out this batch's chunks and waits for the ones already claimed: for a
    /// stream that failed, whose remaining chunks nobody will use. Does nothing to a batch
    /// that is not running.
    func abandon() {
        guard job != nil else { return }
        claims.cancel()
        group.wait()
        job = nil
    }

    /// The next unclaimed chunk of a batch. Each index is handed out once (an atomic
    /// read-modify-write); what a chunk's worker wrote is read by the owner only after the
    /// dispatch group's `wait`, which orders it.
    private final class Claims: Sendable {
        private let next = Atomic<Int>(0)
        func reset() { next.store(0, ordering: .relaxed) }
        func claim() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
        /// Every later claim is past the end (no batch holds anywhere near Int.max / 2 chunks).
        func cancel() { next.store(Int.max / 2, ordering: .relaxed) }
    }

    /// What one batch's work items share.
    ///
    /// `@unchecked Sendable`: whoever claims a pair touches only its two slots of the buffers
    /// and of `slots`, the key and binding are only read (`SecureBytes`' lending methods read
    /// nothing but its immutable pointer and count, so several threads may call them at once),
    /// and the owner waits for the group before it reads a slot, refills the batch or frees it.
    /// `plain` and `key` are strong references, so their guarded memory cannot be freed under a
    /// worker; `sealed` and `slots` belong to the batch, whose `deinit` waits for the group.
    private struct Job: @unchecked Sendable {
        let plain: SecureBytes
        let sealed: UnsafeMutableRawBufferPointer
        let slots: UnsafeMutablePointer<Slot>
        let key: SecureBytes
        let binding: [UInt8]
        let firstIndex: UInt64
        let lastIndex: UInt64
        let count: Int
        let work: Work

        /// Claims chunks two at a time until none are left.
        func drain(_ claims: Claims) {
            while true {
                let pair = claims.claim()
                guard pair < (count + 1) / 2 else { return }  // (after `cancel`, far past it)
                let i = 2 * pair
                run(i)
                if i + 1 < count {
                    run(i + 1)
                    if case .seal(let digest) = work {
                        slots[i].digest = ChunkDigest(digest, of: sealedBytes(i))
                        slots[i + 1].digest = ChunkDigest(digest, of: sealedBytes(i + 1))
                    }
                } else if case .seal(let digest) = work {
                    slots[i].digest = ChunkDigest(digest, of: sealedBytes(i))
                }
            }
        }

        private func sealedBytes(_ i: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: sealedSlot(i)[0..<slots[i].sealedLength])
        }

        private func sealedSlot(_ i: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(
                rebasing: sealed[i * ChunkedCipher.sealedChunkSize..<(i + 1) * ChunkedCipher.sealedChunkSize])
        }

        func run(_ i: Int) {
            let index = firstIndex + UInt64(i)
            let nonce = ChunkedCipher.nonce(index: index, final: index == lastIndex)
            let su = sealedSlot(i).bindMemory(to: UInt8.self)
            var written: UInt64 = 0
            plain.withUnsafeMutableBytes { whole in
                let pu = UnsafeMutableRawBufferPointer(
                    rebasing: whole[i * ChunkedCipher.chunkSize..<(i + 1) * ChunkedCipher.chunkSize]
                ).bindMemory(to: UInt8.self)
                // Slots are constant, non-zero sizes: they always have an address.
                guard let p = pu.baseAddress, let c = su.baseAddress else { preconditionFailure("an empty batch slot") }
                key.withPointer { k in
                    switch work {
                    case .seal:
                        // Cannot fail: a chunk is at most 64 KiB and the key 32 bytes (checked in
                        // `start`); libsodium returns 0 for every such input.
                        let rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
                            c, &written, p, UInt64(slots[i].plainLength), binding,
                            UInt64(binding.count), nil, nonce, k)
                        Sodium.expectSuccess(rc, "crypto_aead_xchacha20poly1305_ietf_encrypt")
                        slots[i].sealedLength = Int(written)
                    case .open:
                        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
                            p, &written, nil, c, UInt64(slots[i].sealedLength), binding,
                            UInt64(binding.count), nonce, k)
                        slots[i].failed = rc != 0
                        slots[i].plainLength = rc == 0 ? Int(written) : 0
                    }
                }
            }
        }
    }
}

@available(*, unavailable)
extension ChunkBatch: Sendable {}
