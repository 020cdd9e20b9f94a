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
        let rc = sk.withMutablePointer { s in crypto_box_keypair(&pk, s) }
        try Sodium.check(rc, VaultError(.internalError, "an X25519 key pair could not be made"))
        publicKey = pk
        secretKey = sk
    }

    /// The key pair of a stored secret key; the public half is recomputed from it.
    init(secretKey: SecureBytes) throws(VaultError) {
        guard secretKey.count == Self.secretKeyBytes else {
            throw VaultError(.corrupt, "an X25519 secret key has the wrong length")
        }
        var pk = [UInt8](repeating: 0, count: Self.publicKeyBytes)
        let rc = secretKey.withPointer { s in crypto_scalarmult_base(&pk, s) }
        try Sodium.check(rc, VaultError(.corrupt, "an X25519 secret key does not give a public key"))
        publicKey = pk
        self.secretKey = secretKey
    }

    /// Anonymous sealed box to `recipient` (`crypto_box_seal`).
    ///
    /// libsodium refuses (returns -1) when `recipient` is a point of small order: the all-zero
    /// key, 0100…00 and the handful of others of order 1, 2, 4 or 8 on the curve or its twist.
    /// Every shared secret with such a point is all zeros, known to anyone, so there is no box
    /// to make and what the call leaves in its output is junk that nobody can open. The refusal
    /// is thrown here, before the caller stores anything: a case, roster, board or package key
    /// sealed to such a key would otherwise be written as if it had been handed over.
    static func seal(_ secret: SecureBytes, to recipient: [UInt8]) throws(VaultError) -> [UInt8] {
        try secret.withUnsafeBytes { (s) throws(VaultError) in try seal(s, to: recipient) }
    }

    static func seal(_ message: UnsafeRawBufferPointer, to recipient: [UInt8]) throws(VaultError) -> [UInt8] {
        guard recipient.count == publicKeyBytes else {
            throw VaultError(.invalidInput, "an X25519 public key must be \(publicKeyBytes) bytes")
        }
        var out = [UInt8](repeating: 0, count: message.count + sealOverhead)
        let rc = crypto_box_seal(
            &out, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count), recipient)
        try Sodium.check(rc, unusableRecipient())
        return out
    }

    static func unusableRecipient() -> VaultError {
        VaultError(
            .invalidInput,
            "the recipient's encryption key is a low-order X25519 point: nothing can be sealed to it, nothing was stored",
            hints: [
                "the public key is malformed or was tampered with; ask its owner for the one 'sarah-vault pubkey' prints"
            ])
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
