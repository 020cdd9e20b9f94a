internal import CSodium

/// Hash functions: SHA-256 for everything a third party must recompute with standard tools
/// (the audit log's RFC 6962 tree, key ids, checksums), BLAKE2b-256 where only we need speed
/// (the hash of a stored ciphertext, which an auditor recomputes over gigabytes).
enum Hash {
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let rc = data.withUnsafeBufferPointer { input in
            crypto_hash_sha256(&out, input.baseAddress, UInt64(input.count))
        }
        Sodium.expectSuccess(rc, "crypto_hash_sha256")  // returns 0 for every input
        return out
    }

    static func sha256(_ parts: [UInt8]...) -> [UInt8] {
        sha256(parts.flatMap { $0 })
    }

    /// `key`, if any, is at most 64 bytes (BLAKE2b's limit; every caller passes a constant).
    static func blake2b256(_ data: [UInt8], key: [UInt8] = []) -> [UInt8] {
        precondition(key.count <= crypto_generichash_keybytes_max(), "a BLAKE2b key is at most 64 bytes")
        var out = [UInt8](repeating: 0, count: 32)
        // Cannot fail: BLAKE2b returns -1 only for an output or key length out of range.
        let rc = data.withUnsafeBufferPointer { input in
            key.withUnsafeBufferPointer { k in
                crypto_generichash(
                    &out, 32, input.baseAddress, UInt64(input.count),
                    k.count == 0 ? nil : k.baseAddress, k.count)
            }
        }
        Sodium.expectSuccess(rc, "crypto_generichash")
        return out
    }
}

extension Hash {
    /// BLAKE2b-256 keyed with a secret, into guarded memory: derives a secret from a secret.
    static func blake2b256Secret(_ message: [UInt8], key: SecureBytes) throws(VaultError) -> SecureBytes {
        let out = try SecureBytes(count: 32)
        let rc = out.withMutablePointer { o in
            key.withPointer { k in crypto_generichash(o, 32, message, UInt64(message.count), k, key.count) }
        }
        try Sodium.check(rc, VaultError(.internalError, "a key could not be derived: its parent key is over 64 bytes"))
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

    private var finalized = false

    // libsodium's SHA-256 returns 0 from init, update and final for every input; `finalized`
    // catches the one misuse it does not (a second `finalize` would hash a wiped state).
    init() { Sodium.expectSuccess(crypto_hash_sha256_init(&state), "crypto_hash_sha256_init") }

    func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finalized, "SHA256Hasher updated after finalize")
        let rc = crypto_hash_sha256_update(
            &state, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        Sodium.expectSuccess(rc, "crypto_hash_sha256_update")
    }

    func finalize() -> [UInt8] {
        precondition(!finalized, "SHA256Hasher finalized twice")
        finalized = true
        var out = [UInt8](repeating: 0, count: 32)
        Sodium.expectSuccess(crypto_hash_sha256_final(&state, &out), "crypto_hash_sha256_final")
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
        // Cannot fail: no key and a 32-byte output are within BLAKE2b's bounds.
        Sodium.expectSuccess(crypto_generichash_init(OpaquePointer(state), nil, 0, 32), "crypto_generichash_init")
    }

    deinit { state.deallocate() }

    func update(_ bytes: UnsafeRawBufferPointer) {
        let rc = crypto_generichash_update(
            OpaquePointer(state), bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt64(bytes.count))
        Sodium.expectSuccess(rc, "crypto_generichash_update")  // returns 0 for every input
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        // -1 only when the state was already finalized: a second `finalize` is a bug here, and
        // would otherwise return 32 zero bytes as a digest.
        Sodium.expectSuccess(crypto_generichash_final(OpaquePointer(state), &out, 32), "crypto_generichash_final")
        return out
    }
}

@available(*, unavailable)
extension Blake2bHasher: Sendable {}
