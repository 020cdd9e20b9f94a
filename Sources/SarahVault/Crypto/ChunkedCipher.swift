internal import CSodium

/// The content format: a plaintext split into 64 KiB chunks, each sealed with
/// XChaCha20-Poly1305 under a key used for this one stream only (a document version's key).
///
/// The nonce of chunk `i` is 15 zero bytes, `i` as a big-endian UInt64, then a final flag
/// (0x01 on the last chunk, else 0x00) — age's STREAM construction widened to XChaCha's nonce.
/// A fixed, counter-derived nonce is safe because every key encrypts exactly one stream.
/// Because index and flag are part of the nonce, reordering, duplicating, dropping the tail or
/// appending chunks makes a chunk fail to open; the associated data (`binding`) names the
/// vault, case, document and version, so a stream moved elsewhere does not open either.
///
/// Every chunk but the last holds exactly `chunkSize` plaintext bytes; the last holds 1…65536,
/// or 0 only when the whole plaintext is empty.
enum ChunkedCipher {
    static let chunkSize = 64 * 1024
    static let sealedChunkSize = chunkSize + AEAD.tagBytes

    static func nonce(index: UInt64, final: Bool) -> [UInt8] {
        var n = [UInt8](repeating: 0, count: AEAD.nonceBytes)
        for i in 0..<8 { n[15 + i] = UInt8(truncatingIfNeeded: index >> (56 - 8 * UInt64(i))) }
        n[23] = final ? 1 : 0
        return n
    }

    /// The digest of one sealed chunk: BLAKE2b-256 of its bytes (ciphertext and tag).
    static func chunkDigest(_ sealed: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(
            &out, 32, sealed.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(sealed.count), nil, 0)
        return out
    }

    /// The key commitment stored (signed) beside a stream: BLAKE2b-256 keyed with the stream key
    /// over a fixed label. It lets a reader check, before releasing a byte, that the key it
    /// unwrapped is the one the signed writer used.
    static func keyCommitment(_ key: SecureBytes) -> [UInt8] {
        let label = Array("sarahvault/v1/key-commitment".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        key.withUnsafeBytes { k in
            _ = crypto_generichash(
                &out, 32, label, UInt64(label.count), k.baseAddress?.assumingMemoryBound(to: UInt8.self), k.count)
        }
        return out
    }
}

/// The hash of a stored stream that an auditor recomputes without a key:
/// BLAKE2b-256 over the concatenation of every sealed chunk's `chunkDigest`, in order.
/// Hashing chunk by chunk lets the chunks be digested in parallel (on every core) while the
/// result still commits to every byte and to the order.
final class CiphertextHasher {
    private let outer = Blake2bHasher()
    private(set) var chunks: Int64 = 0

    func add(digest: [UInt8]) {
        outer.update(digest)
        chunks += 1
    }

    func add(sealed: UnsafeRawBufferPointer) { add(digest: ChunkedCipher.chunkDigest(sealed)) }

    func finalize() -> [UInt8] { outer.finalize() }
}

@available(*, unavailable)
extension CiphertextHasher: Sendable {}

/// Seals a stream chunk by chunk, hashing the sealed bytes as it goes.
final class ChunkSealer {
    private let key: SecureBytes
    private let binding: [UInt8]
    private let hasher = CiphertextHasher()
    private(set) var index: UInt64 = 0
    private(set) var plaintextBytes: UInt64 = 0
    private var finished = false

    init(key: SecureBytes, binding: [UInt8]) {
        self.key = key
        self.binding = binding
    }

    func seal(_ chunk: UnsafeRawBufferPointer, final: Bool) -> [UInt8] {
        precondition(!finished && chunk.count <= ChunkedCipher.chunkSize)
        let sealed = AEAD.seal(
            chunk, key: key, nonce: ChunkedCipher.nonce(index: index, final: final), ad: binding)
        sealed.withUnsafeBytes { hasher.add(sealed: $0) }
        index += 1
        plaintextBytes += UInt64(chunk.count)
        finished = final
        return sealed
    }

    /// The `CiphertextHasher` hash of everything sealed so far.
    func ciphertextHash() -> [UInt8] { hasher.finalize() }
}

@available(*, unavailable)
extension ChunkSealer: Sendable {}

/// Opens a stream chunk by chunk, insisting on consecutive indices and on a final chunk.
final class ChunkOpener {
    private let key: SecureBytes
    private let binding: [UInt8]
    private(set) var index: UInt64 = 0
    private(set) var sawFinal = false
    private var buffer: [UInt8]

    init(key: SecureBytes, binding: [UInt8]) {
        self.key = key
        self.binding = binding
        buffer = [UInt8](repeating: 0, count: ChunkedCipher.chunkSize)
    }

    deinit { Sodium.wipe(&buffer) }

    /// Opens the next chunk and hands its plaintext to `body` (valid only during the call).
    func open<R>(
        _ sealed: UnsafeRawBufferPointer, isLast: Bool, _ body: (UnsafeRawBufferPointer) throws(VaultError) -> R
    ) throws(VaultError) -> R {
        guard !sawFinal else {
            throw VaultError(.corrupt, "data follows the final chunk")
        }
        guard sealed.count >= AEAD.tagBytes, sealed.count <= ChunkedCipher.sealedChunkSize,
            isLast || sealed.count == ChunkedCipher.sealedChunkSize
        else {
            throw VaultError(.corrupt, "chunk \(index) has an impossible length")
        }
        let plainCount = sealed.count - AEAD.tagBytes
        let ok = buffer.withUnsafeMutableBytes { out in
            AEAD.open(
                sealed, key: key, nonce: ChunkedCipher.nonce(index: index, final: isLast), ad: binding,
                into: UnsafeMutableRawBufferPointer(rebasing: out[0..<plainCount]))
        }
        guard ok else {
            throw VaultError(
                .authenticationFailed,
                "chunk \(index) does not decrypt: wrong key, or the data was altered, reordered, truncated or moved")
        }
        index += 1
        sawFinal = isLast
        return try buffer.withBytes { (all) throws(VaultError) in
            try body(UnsafeRawBufferPointer(rebasing: all[0..<plainCount]))
        }
    }
}

@available(*, unavailable)
extension ChunkOpener: Sendable {}
