internal import CSodium

/// The single entry to libsodium: initialisation and randomness.
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

    static func randomBytes(_ count: Int) -> [UInt8] {
        _ = initialised
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 { bytes.withUnsafeMutableBufferPointer { randombytes_buf($0.baseAddress!, count) } }
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
