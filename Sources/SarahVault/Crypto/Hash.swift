internal import CSodium

/// Hash functions: SHA-256 for everything a third party must recompute with standard tools
/// (the audit log's RFC 6962 tree, key ids, checksums), BLAKE2b-256 where only we need speed
/// (the hash of a stored ciphertext, which an auditor recomputes over gigabytes).
enum Hash {
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { input in
            _ = crypto_hash_sha256(&out, input.baseAddress, UInt64(input.count))
        }
        return out
    }

    static func sha256(_ parts: [UInt8]...) -> [UInt8] {
        sha256(parts.flatMap { $0 })
    }

    static func blake2b256(_ data: [UInt8], key: [UInt8] = []) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { input in
            key.withUnsafeBufferPointer { k in
                _ = crypto_generichash(
                    &out, 32, input.baseAddress, UInt64(input.count),
                    k.count == 0 ? nil : k.baseAddress, k.count)
            }
        }
        return out
    }
}

extension Hash {
    /// BLAKE2b-256 keyed with a secret, into guarded memory: derives a secret from a secret.
    static func blake2b256Secret(_ message: [UInt8], key: SecureBytes) throws(VaultError) -> SecureBytes {
        let out = try SecureBytes(count: 32)
        out.withMutablePointer { o in
            key.withPointer { k in _ = crypto_generichash(o, 32, message, UInt64(message.count), k, key.count) }
        }
        return out
    }
}

/// A hash fed in pieces.
protocol IncrementalHash: AnyObject {
    func update(_ bytes: UnsafeRawBufferPointer)
    func finalize() -> [UInt8]
}

/// Incremental SHA-256 (`crypto_hash_sha256_init/update/final`).
final class SHA256Hasher: IncrementalHash {
    private var state = crypto_hash_sha256_state()

    init() { _ = crypto_hash_sha256_init(&state) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        _ = crypto_hash_sha256_update(
            &state, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_hash_sha256_final(&state, &out)
        return out
    }
}

@available(*, unavailable)
extension SHA256Hasher: Sendable {}

/// Incremental BLAKE2b-256.
///
/// `crypto_generichash_state` is 64-byte aligned and not imported into Swift, so the state
/// lives in raw memory allocated with that alignment and sized by `crypto_generichash_statebytes()`.
final class Blake2bHasher: IncrementalHash {
    private let state: UnsafeMutableRawPointer

    init() {
        state = UnsafeMutableRawPointer.allocate(
            byteCount: crypto_generichash_statebytes(), alignment: 64)
        _ = crypto_generichash_init(OpaquePointer(state), nil, 0, 32)
    }

    deinit { state.deallocate() }

    func update(_ bytes: UnsafeRawBufferPointer) {
        _ = crypto_generichash_update(
            OpaquePointer(state), bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt64(bytes.count))
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash_final(OpaquePointer(state), &out, 32)
        return out
    }
}

@available(*, unavailable)
extension Blake2bHasher: Sendable {}
