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

    /// The key commitment stored (signed) beside a stream: BLAKE2b-256 keyed with the stream key
    /// over a fixed label. It lets a reader check, before releasing a byte, that the key it
    /// unwrapped is the one the signed writer used.
    static func keyCommitment(_ key: SecureBytes) -> [UInt8] {
        let label = Array("sarahvault/v1/key-commitment".utf8)
        precondition(key.count == AEAD.keyBytes, "a stream key is 32 bytes")
        var out = [UInt8](repeating: 0, count: 32)
        // Cannot fail: a 32-byte key and a 32-byte output are within BLAKE2b's bounds.
        let rc = key.withUnsafeBytes { k in
            crypto_generichash(
                &out, 32, label, UInt64(label.count), k.baseAddress?.assumingMemoryBound(to: UInt8.self), k.count)
        }
        Sodium.expectSuccess(rc, "crypto_generichash")
        return out
    }
}

/// The hash of a stored stream that an auditor recomputes without a key: the vault format's
/// hash `H` over the concatenation of every sealed chunk's digest `H(sealed_i)`, in order
/// (BLAKE2b-256 in format 1, SHA-256 in format 2). Hashing chunk by chunk lets the chunks be
/// digested in parallel (on every core) while the result still commits to every byte and to
/// the order.
final class CiphertextHasher {
    private let outer: any IncrementalHash

    init(_ kind: ChunkDigest.Kind) {
        switch kind {
        case .blake2b256: outer = Blake2bHasher()
        case .sha256: outer = SHA256Hasher()
        }
    }

    func add(digest: ChunkDigest) {
        digest.withUnsafeBytes { outer.update($0) }
    }

    func finalize() -> [UInt8] { outer.finalize() }
}

@available(*, unavailable)
extension CiphertextHasher: Sendable {}
