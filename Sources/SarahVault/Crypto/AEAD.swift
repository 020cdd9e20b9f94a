internal import CSodium

/// XChaCha20-Poly1305-IETF (`crypto_aead_xchacha20poly1305_ietf_*`): 32-byte key, 24-byte
/// nonce, 16-byte tag appended to the ciphertext.
enum AEAD {
    static let keyBytes = 32
    static let nonceBytes = 24
    static let tagBytes = 16

    static func seal(_ plaintext: [UInt8], key: SecureBytes, nonce: [UInt8], ad: [UInt8]) -> [UInt8] {
        plaintext.withUnsafeBytes { seal($0, key: key, nonce: nonce, ad: ad) }
    }

    static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: SecureBytes, nonce: [UInt8], ad: [UInt8]
    ) -> [UInt8] {
        precondition(nonce.count == nonceBytes && key.count == keyBytes)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagBytes)
        var written: UInt64 = 0
        // Cannot fail: key and nonce lengths are checked above, and libsodium returns 0 for every
        // plaintext up to its (256 GiB) limit; past it, it aborts (`sodium_misuse`) instead.
        let rc = key.withPointer { k in
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                &out, &written,
                plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                ad, UInt64(ad.count), nil, nonce, k)
        }
        Sodium.expectSuccess(rc, "crypto_aead_xchacha20poly1305_ietf_encrypt")
        return out
    }

    /// Decrypts into `output`, which must hold `ciphertext.count - tagBytes` bytes.
    /// Returns false on any failure (wrong key, tampered data, wrong associated data).
    static func open(
        _ ciphertext: UnsafeRawBufferPointer, key: SecureBytes, nonce: [UInt8], ad: [UInt8],
        into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard ciphertext.count >= tagBytes, output.count >= ciphertext.count - tagBytes,
            nonce.count == nonceBytes, key.count == keyBytes
        else { return false }
        var written: UInt64 = 0
        guard let c = ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let rc = key.withPointer { k in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                output.baseAddress?.assumingMemoryBound(to: UInt8.self), &written, nil,
                c, UInt64(ciphertext.count), ad, UInt64(ad.count), nonce, k)
        }
        return rc == 0
    }

    /// Decrypts a small secret straight into guarded memory.
    static func openSecret(
        _ ciphertext: [UInt8], key: SecureBytes, nonce: [UInt8], ad: [UInt8]
    ) throws(VaultError) -> SecureBytes? {
        guard ciphertext.count >= tagBytes else { return nil }
        let out = try SecureBytes(count: ciphertext.count - tagBytes)
        let ok = ciphertext.withUnsafeBytes { c in
            out.withUnsafeMutableBytes { o in open(c, key: key, nonce: nonce, ad: ad, into: o) }
        }
        return ok ? out : nil
    }
}
