internal import CSHA256
internal import CSodium
import Foundation

#if SARAH_VAULT_SWIFT_CRYPTO
    internal import Crypto
#endif

/// The 32-byte digest of one sealed chunk, held inline so that a worker computing it
/// allocates nothing.
struct ChunkDigest {
    /// Which hash digests a vault's sealed chunks (see `VaultFormat.chunkDigest`).
    enum Kind: Sendable {
        /// BLAKE2b-256 (`crypto_generichash`, 32-byte output, no key).
        case blake2b256
        /// SHA-256, on the SHA extensions where the processor has them.
        case sha256
    }

    /// Who computes SHA-256 of the sealed chunks. `csha256` (ours, CSHA256) only where the
    /// processor has the x86 SHA extensions — its other entry points are stubs that must never
    /// run, so nothing else can select it; otherwise libsodium's portable C. A benchmark build
    /// made with SARAH_VAULT_BENCH_SWIFT_CRYPTO=1 (Package.swift) uses swift-crypto's `SHA256`
    /// instead, so `make bench` can time the two on the same files; SARAH_VAULT_SHA256=libsodium
    /// forces the portable one.
    enum SHA256Engine: String, Sendable {
        case csha256, libsodium
        case swiftCrypto = "swift-crypto"
    }

    static let sha256Engine: SHA256Engine = {
        #if SARAH_VAULT_SWIFT_CRYPTO
            if ProcessInfo.processInfo.environment["SARAH_VAULT_SHA256"] != "libsodium" { return .swiftCrypto }
        #endif
        let accelerated = sarahvault_sha256_accelerated() == 1
        if ProcessInfo.processInfo.environment["SARAH_VAULT_SHA256"] == "libsodium" || !accelerated {
            return .libsodium
        }
        return .csha256
    }()

    /// Whether SHA-256 runs on our SHA-extension code (which also digests two chunks at once).
    static let sha256Accelerated = sha256Engine == .csha256

    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init(_ kind: Kind, of data: UnsafeRawBufferPointer) {
        withUnsafeMutableBytes(of: &storage) { out in
            let o = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let p = data.baseAddress?.assumingMemoryBound(to: UInt8.self)
            // libsodium cannot fail here: no key, a 32-byte output, any input length.
            switch kind {
            case .blake2b256:
                Sodium.expectSuccess(crypto_generichash(o, 32, p, UInt64(data.count), nil, 0), "crypto_generichash")
            case .sha256:
                switch Self.sha256Engine {
                case .csha256: sarahvault_sha256(p, data.count, o)
                case .libsodium:
                    Sodium.expectSuccess(crypto_hash_sha256(o, p, UInt64(data.count)), "crypto_hash_sha256")
                case .swiftCrypto:
                    #if SARAH_VAULT_SWIFT_CRYPTO
                        SHA256.hash(data: data).withUnsafeBytes {
                            o.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: 32)
                        }
                    #endif
                }
            }
        }
    }

    /// The digests of two sealed chunks: with SHA-256 on the SHA extensions and equal lengths
    /// (every full chunk), both at once, their rounds interleaved, at nearly twice the speed.
    static func pair(_ kind: Kind, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> (Self, Self) {
        guard kind == .sha256, sha256Accelerated, a.count == b.count, let pa = a.baseAddress, let pb = b.baseAddress
        else { return (ChunkDigest(kind, of: a), ChunkDigest(kind, of: b)) }
        var da = ChunkDigest()
        var db = ChunkDigest()
        Swift.withUnsafeMutableBytes(of: &da.storage) { oa in
            Swift.withUnsafeMutableBytes(of: &db.storage) { ob in
                sarahvault_sha256_x2(
                    pa.assumingMemoryBound(to: UInt8.self), pb.assumingMemoryBound(to: UInt8.self), a.count,
                    oa.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    ob.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return (da, db)
    }

    var bytes: [UInt8] { Swift.withUnsafeBytes(of: storage) { Array($0) } }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        Swift.withUnsafeBytes(of: storage, body)
    }
}
