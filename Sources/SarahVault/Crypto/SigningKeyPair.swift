internal import CSodium

/// Ed25519 key pair (`crypto_sign_*`), stored as its 32-byte seed.
final class SigningKeyPair {
    static let publicKeyBytes = 32
    static let seedBytes = 32
    static let signatureBytes = 64

    let publicKey: [UInt8]
    let seed: SecureBytes
    /// libsodium's 64-byte secret key (seed || public key).
    private let secretKey: SecureBytes

    init(seed: SecureBytes) throws(VaultError) {
        guard seed.count == Self.seedBytes else {
            throw VaultError(.corrupt, "an Ed25519 seed has the wrong length")
        }
        var pk = [UInt8](repeating: 0, count: Self.publicKeyBytes)
        let sk = try SecureBytes(count: 64)
        let rc = sk.withMutablePointer { s in
            seed.withPointer { sd in crypto_sign_seed_keypair(&pk, s, sd) }
        }
        try Sodium.check(rc, VaultError(.internalError, "an Ed25519 key pair could not be made from its seed"))
        publicKey = pk
        secretKey = sk
        self.seed = seed
    }

    func sign(_ message: [UInt8]) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: Self.signatureBytes)
        // Cannot fail: Ed25519 signs any message with a 64-byte secret key (libsodium returns 0).
        let rc = secretKey.withPointer { s in
            crypto_sign_detached(&sig, nil, message, UInt64(message.count), s)
        }
        Sodium.expectSuccess(rc, "crypto_sign_detached")
        return sig
    }

    static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureBytes, publicKey.count == publicKeyBytes else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}

@available(*, unavailable)
extension SigningKeyPair: Sendable {}
