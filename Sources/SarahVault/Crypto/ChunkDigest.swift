internal import CSodium
internal import Crypto

/// The 32-byte digest of one sealed chunk, held inline so that a worker computing it
/// allocates nothing.
struct ChunkDigest {
    /// Which hash digests a vault's sealed chunks (see `VaultFormat.chunkDigest`).
    enum Kind: Sendable {
        /// BLAKE2b-256 (`crypto_generichash`, 32-byte output, no key).
        case blake2b256
        /// SHA-256, from swift-crypto (BoringSSL: the x86 SHA extensions or ARMv8's SHA-2
        /// instructions where the processor has them). A hand-written SHA-extension version was
        /// measured against it and removed (README, "What stayed, and why").
        case sha256
    }

    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init(_ kind: Kind, of data: UnsafeRawBufferPointer) {
        withUnsafeMutableBytes(of: &storage) { out in
            switch kind {
            case .blake2b256:
                // libsodium cannot fail here: no key, a 32-byte output, any input length.
                // `storage` is 32 bytes: its base address is never nil.
                guard let o = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
                let p = data.baseAddress?.assumingMemoryBound(to: UInt8.self)
                Sodium.expectSuccess(crypto_generichash(o, 32, p, UInt64(data.count), nil, 0), "crypto_generichash")
            case .sha256:
                SHA256.hash(data: data).withUnsafeBytes { out.copyMemory(from: $0) }
            }
        }
    }

    var bytes: [UInt8] { Swift.withUnsafeBytes(of: storage) { Array($0) } }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        Swift.withUnsafeBytes(of: storage, body)
    }
}
