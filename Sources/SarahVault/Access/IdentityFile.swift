import Foundation

/// The identity file: a person's secret keys sealed under their passphrase.
///
/// ```
/// offset size
///   0     4  magic "SVID"
///   4     1  format version, 1
///   5     1  KDF algorithm, 2 = Argon2id v1.3 (crypto_pwhash_ALG_ARGON2ID13)
///   6     8  opslimit, big-endian
///  14     8  memlimit in bytes, big-endian
///  22    16  salt
///  38    24  nonce
///  62    32  X25519 public key
///  94    32  Ed25519 public key
/// 126     …  XChaCha20-Poly1305 ciphertext + 16-byte tag, key = Argon2id(passphrase, salt,
///            opslimit, memlimit, 32 bytes), associated data = bytes 0..<126,
///            plaintext = X25519 secret (32) || Ed25519 seed (32) || name (UTF-8)
/// ```
/// The public keys are in clear so that a key id can be shown without the passphrase; on
/// load they are recomputed from the secrets and must match.
enum IdentityFile {
    static let magic: [UInt8] = Array("SVID".utf8)
    static let version: UInt8 = 1
    static let headerBytes = 126
    static let maxBytes = 4096

    static func encode(_ identity: Identity, passphrase: Passphrase, kdf: KDFStrength) throws(VaultError) -> [UInt8] {
        let (ops, mem) = kdf.limits
        let salt = Sodium.randomBytes(PasswordHash.saltBytes)
        let nonce = Sodium.randomBytes(AEAD.nonceBytes)
        var w = ByteWriter()
        w.append(magic)
        w.u8(version)
        w.u8(PasswordHash.algorithmArgon2id13)
        w.u64(ops)
        w.u64(mem)
        w.append(salt)
        w.append(nonce)
        w.append(identity.box.publicKey)
        w.append(identity.signing.publicKey)
        let header = w.bytes
        let key = try PasswordHash.deriveKey(passphrase: passphrase.secret, salt: salt, ops: ops, mem: mem)
        let nameBytes = Array(identity.name.utf8)
        let plain = try SecureBytes(count: 64 + nameBytes.count)
        plain.withUnsafeMutableBytes { p in
            identity.box.secretKey.withUnsafeBytes { p.baseAddress?.copyMemory(from: $0.baseAddress!, byteCount: 32) }
            identity.signingSeed.withUnsafeBytes {
                (p.baseAddress! + 32).copyMemory(from: $0.baseAddress!, byteCount: 32)
            }
            nameBytes.withUnsafeBytes { n in
                if n.count > 0 { (p.baseAddress! + 64).copyMemory(from: n.baseAddress!, byteCount: n.count) }
            }
        }
        let sealed = plain.withUnsafeBytes { AEAD.seal($0, key: key, nonce: nonce, ad: header) }
        return header + sealed
    }

    /// The public key of an identity file, readable without the passphrase.
    static func publicKey(of bytes: [UInt8]) throws(VaultError) -> PublicKey {
        var r = try header(bytes)
        _ = try r.take(62 - 6)  // opslimit, memlimit, salt, nonce
        return PublicKey(boxKey: try r.take(32), signingKey: try r.take(32))
    }

    private static func header(_ bytes: [UInt8]) throws(VaultError) -> ByteReader {
        guard bytes.count <= maxBytes else {
            throw VaultError(.invalidInput, "the identity file is too large to be an identity")
        }
        var r = ByteReader(bytes, what: "the identity file")
        guard bytes.count >= 4, try r.take(4) == magic else {
            throw VaultError(.invalidInput, "not a SarahVault identity file (wrong magic)")
        }
        let v = try r.u8()
        guard v == version else {
            throw VaultError(.unsupported, "identity file format version \(v) is not supported")
        }
        let alg = try r.u8()
        guard alg == PasswordHash.algorithmArgon2id13 else {
            throw VaultError(.unsupported, "identity file KDF algorithm \(alg) is not supported")
        }
        return r
    }

    static func decode(_ bytes: [UInt8], passphrase: Passphrase) throws(VaultError) -> Identity {
        var r = try header(bytes)
        let ops = try r.u64()
        let mem = try r.u64()
        let salt = try r.take(PasswordHash.saltBytes)
        let nonce = try r.take(AEAD.nonceBytes)
        let boxPublic = try r.take(32)
        let signPublic = try r.take(32)
        let sealed = r.rest()
        guard sealed.count >= 64 + AEAD.tagBytes else {
            throw VaultError(.invalidInput, "the identity file is truncated")
        }
        let key = try PasswordHash.deriveKey(passphrase: passphrase.secret, salt: salt, ops: ops, mem: mem)
        guard
            let plain = try AEAD.openSecret(
                sealed, key: key, nonce: nonce, ad: Array(bytes[0..<headerBytes]))
        else {
            throw VaultError(
                .authenticationFailed, "wrong passphrase, or the identity file was altered",
                hints: ["check --passphrase-file / SARAH_VAULT_PASSPHRASE, or the --identity path"])
        }
        let box = try BoxKeyPair(secretKey: try plain.slice(0..<32))
        let signing = try SigningKeyPair(seed: try plain.slice(32..<64))
        let nameBytes = plain.withUnsafeBytes { [UInt8]($0[64...]) }
        guard let name = String(validating: nameBytes, as: UTF8.self),
            box.publicKey == boxPublic, signing.publicKey == signPublic
        else {
            throw VaultError(.corrupt, "the identity file is inconsistent: its public keys do not match its secrets")
        }
        return Identity(name: name, box: box, signing: signing)
    }
}

extension Identity {
    /// The Ed25519 seed, kept beside the expanded key so the identity can be written again.
    var signingSeed: SecureBytes { signing.seed }

    /// Writes the identity, sealed under `passphrase`, to a new file with mode 0600. Refuses to
    /// overwrite anything.
    public func write(to path: String, passphrase: Passphrase, kdf: KDFStrength = .moderate) throws(VaultError) {
        let bytes = try IdentityFile.encode(self, passphrase: passphrase, kdf: kdf)
        try FileIO.createExclusive(path: path, bytes: bytes, mode: 0o600, what: "identity")
    }

    /// Reads and unlocks an identity file.
    public static func load(from path: String, passphrase: Passphrase) throws(VaultError) -> Identity {
        let bytes = try FileIO.readSmall(path: path, limit: IdentityFile.maxBytes, what: "identity file")
        return try IdentityFile.decode(bytes, passphrase: passphrase)
    }

    /// The public key of an identity file, without its passphrase.
    public static func publicKey(ofFile path: String) throws(VaultError) -> PublicKey {
        try IdentityFile.publicKey(
            of: try FileIO.readSmall(path: path, limit: IdentityFile.maxBytes, what: "identity file"))
    }
}
