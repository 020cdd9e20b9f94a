internal import CSodium

/// Argon2id (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`) turning a passphrase into a
/// 32-byte key. The limits travel in the identity file so that old files open after the
/// defaults grow.
public enum KDFStrength: String, Sendable, CaseIterable {
    case interactive, moderate, sensitive

    var limits: (ops: UInt64, mem: UInt64) {
        switch self {
        case .interactive:
            return (UInt64(crypto_pwhash_opslimit_interactive()), UInt64(crypto_pwhash_memlimit_interactive()))
        case .moderate:
            return (UInt64(crypto_pwhash_opslimit_moderate()), UInt64(crypto_pwhash_memlimit_moderate()))
        case .sensitive:
            return (UInt64(crypto_pwhash_opslimit_sensitive()), UInt64(crypto_pwhash_memlimit_sensitive()))
        }
    }
}

enum PasswordHash {
    static let saltBytes = 16
    static let algorithmArgon2id13: UInt8 = 2  // crypto_pwhash_ALG_ARGON2ID13

    /// Bounds accepted from a file, so a hostile identity cannot make every command spin for
    /// minutes or take gigabytes before the passphrase is even checked: at most what the
    /// strongest setting `keygen` writes (SENSITIVE: 4 passes, 1 GiB).
    static let maxOps = UInt64(crypto_pwhash_opslimit_sensitive())
    static let maxMem = UInt64(crypto_pwhash_memlimit_sensitive())

    static func deriveKey(
        passphrase: SecureBytes, salt: [UInt8], ops: UInt64, mem: UInt64
    ) throws(VaultError) -> SecureBytes {
        guard salt.count == saltBytes,
            ops >= UInt64(crypto_pwhash_opslimit_min()), ops <= maxOps,
            mem >= UInt64(crypto_pwhash_memlimit_min()), mem <= maxMem
        else {
            throw VaultError(.invalidInput, "the identity file's key-derivation parameters are out of range")
        }
        let key = try SecureBytes(count: 32)
        let rc = key.withMutablePointer { k in
            passphrase.withPointer { p in
                p.withMemoryRebound(to: CChar.self, capacity: passphrase.count) { pc in
                    crypto_pwhash(
                        k, 32, pc, UInt64(passphrase.count), salt, ops, Int(mem), Int32(crypto_pwhash_alg_argon2id13()))
                }
            }
        }
        guard rc == 0 else {
            throw VaultError(.internalError, "the passphrase could not be stretched (out of memory?)")
        }
        return key
    }
}
