internal import CSodium

/// X25519 key pair: receives keys sealed with `crypto_box_seal`.
final class BoxKeyPair {
    static let publicKeyBytes = 32
    static let secretKeyBytes = 32
    static let sealOverhead = 48  // crypto_box_SEALBYTES: ephemeral public key + MAC

    let publicKey: [UInt8]
    let secretKey: SecureBytes

    /// A fresh random key pair.
    init() throws(VaultError) {
        try Sodium.ensureInitialised()
        var pk = [UInt8](repeating: 0, count: Self.publicKeyBytes)
        let sk = try SecureBytes(count: Self.secretKeyBytes)
        sk.withMutablePointer { s in _ = crypto_box_keypair(&pk, s) }
        publicKey = pk
        secretKey = sk
    }

    /// The key pair of a stored secret key; the public half is recomputed from it.
    init(secretKey: SecureBytes) throws(VaultError) {
        guard secretKey.count == Self.secretKeyBytes else {
            throw VaultError(.corrupt, "an X25519 secret key has the wrong length")
        }
        var pk = [UInt8](repeating: 0, count: Self.publicKeyBytes)
        secretKey.withPointer { s in _ = crypto_scalarmult_base(&pk, s) }
        publicKey = pk
        self.secretKey = secretKey
    }

    /// Anonymous sealed box to `recipient` (`crypto_box_seal`).
    static func seal(_ secret: SecureBytes, to recipient: [UInt8]) -> [UInt8] {
        secret.withUnsafeBytes { seal($0, to: recipient) }
    }

    static func seal(_ message: UnsafeRawBufferPointer, to recipient: [UInt8]) -> [UInt8] {
        precondition(recipient.count == publicKeyBytes)
        var out = [UInt8](repeating: 0, count: message.count + sealOverhead)
        _ = crypto_box_seal(
            &out, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
            recipient)
        return out
    }

    /// Opens a sealed box into guarded memory; nil when it was not sealed to this key pair or
    /// was altered.
    func open(_ sealed: [UInt8]) throws(VaultError) -> SecureBytes? {
        guard sealed.count >= Self.sealOverhead else { return nil }
        let out = try SecureBytes(count: sealed.count - Self.sealOverhead)
        let rc = out.withMutablePointer { o in
            secretKey.withPointer { s in
                crypto_box_seal_open(o, sealed, UInt64(sealed.count), publicKey, s)
            }
        }
        return rc == 0 ? out : nil
    }
}

@available(*, unavailable)
extension BoxKeyPair: Sendable {}
