internal import CSodium

/// The single entry to libsodium: initialisation, randomness, and the one place its return
/// codes become errors (`check`, `expectSuccess`).
///
/// Every random byte in SarahVault comes from `randombytes_buf`; nothing else is used.
enum Sodium {
    /// `sodium_init` is idempotent and thread-safe; calling it once per process is enough,
    /// and a global `let` gives exactly that.
    private static let initialised: Bool = sodium_init() >= 0

    static func ensureInitialised() throws(VaultError) {
        guard initialised else {
            throw VaultError(.internalError, "libsodium could not be initialised")
        }
    }

    /// A libsodium call that can fail on what it is given (a box sealed to a low-order key, a
    /// passphrase stretched beyond the memory there is): a non-zero code becomes `error`.
    static func check(_ rc: Int32, _ error: @autoclosure () -> VaultError) throws(VaultError) {
        guard rc == 0 else { throw error() }
    }

    /// A libsodium call that cannot fail with the arguments SarahVault gives it: a hash with a
    /// fixed 32-byte output and a key within the function's bounds, a signature, an encryption
    /// of at most a chunk. libsodium returns -1 from these only for lengths out of range (and
    /// aborts itself on the rest, `sodium_misuse`), and every length here is a constant or checked
    /// before the call, so no input can make one fail: a non-zero code is a bug in this layer,
    /// and stops the process rather than let an unwritten digest, signature or ciphertext pass
    /// as a result.
    static func expectSuccess(_ rc: Int32, _ call: StaticString) {
        precondition(rc == 0, "libsodium: \(call) failed on arguments it accepts by contract")
    }

    /// `randombytes_buf` returns nothing: it cannot fail short of aborting the process (libsodium
    /// calls `sodium_misuse` when the system's randomness cannot be read), so it never hands back
    /// fewer random bytes than asked for.
    static func randomBytes(_ count: Int) -> [UInt8] {
        _ = initialised
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { b in
            if let base = b.baseAddress { randombytes_buf(base, b.count) }
        }
        return bytes
    }

    static func randomSecret(_ count: Int) throws(VaultError) -> SecureBytes {
        _ = initialised
        let secret = try SecureBytes(count: count)
        secret.withMutablePointer { randombytes_buf($0, count) }
        return secret
    }

    /// Constant-time comparison for secrets and MACs.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) }
    }
}
