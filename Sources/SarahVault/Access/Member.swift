/// A person enrolled in the vault: who they are to people (name, unit — encrypted in the file)
/// and to the cryptography (public keys, key id, role — in clear).
public struct Member: Sendable, Equatable, Codable {
    public var name: String
    public var role: Role
    public var unit: String?
    public var keyID: String
    public var publicKey: String

    enum CodingKeys: String, CodingKey {
        case name, role, unit
        case keyID = "keyId"
        case publicKey
    }

    /// Every key of the contract is present (`"unit": null` for a member without a unit).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(unit, forKey: .unit)
        try c.encode(keyID, forKey: .keyID)
        try c.encode(publicKey, forKey: .publicKey)
    }
}

/// A member's profile (name and unit) as stored: XChaCha20-Poly1305 under the roster key.
///
/// `nonce (24) || ciphertext`, associated data "sarahvault/v1/profile" || key id (ASCII hex),
/// plaintext `u8 len || name || u8 len || unit` (UTF-8; an empty unit means none).
enum MemberProfile {
    static func ad(_ keyID: String) -> [UInt8] { Array("sarahvault/v1/profile".utf8) + Array(keyID.utf8) }

    static func seal(name: String, unit: String?, keyID: String, rosterKey: SecureBytes) -> [UInt8] {
        var w = ByteWriter()
        w.short(name)
        w.short(unit ?? "")
        let nonce = Sodium.randomBytes(AEAD.nonceBytes)
        var plain = w.bytes
        defer { Sodium.wipe(&plain) }
        return nonce + AEAD.seal(plain, key: rosterKey, nonce: nonce, ad: ad(keyID))
    }

    static func open(_ sealed: [UInt8], keyID: String, rosterKey: SecureBytes) throws(VaultError) -> (String, String?) {
        guard sealed.count >= AEAD.nonceBytes + AEAD.tagBytes,
            let plain = try AEAD.openSecret(
                Array(sealed[AEAD.nonceBytes...]), key: rosterKey, nonce: Array(sealed[0..<AEAD.nonceBytes]),
                ad: ad(keyID))
        else {
            throw VaultError(.corrupt, "the roster entry of \(keyID) does not decrypt: it was altered")
        }
        var r = ByteReader(plain.unsafeCopy(), what: "a roster entry")
        let name = try r.short()
        let unit = try r.short()
        return (name, unit.isEmpty ? nil : unit)
    }

    /// SHA-256("sarahvault/v1/member" || key id || role || X25519 pk || Ed25519 pk || profile):
    /// what the enrolling entry signs, so an edited roster row is caught.
    static func recordHash(_ m: StoredMember, role: Role) -> [UInt8] {
        Hash.sha256(
            Array("sarahvault/v1/member".utf8), Array(m.keyID.utf8), [role.code], m.boxPublicKey, m.signPublicKey,
            m.profile)
    }
}
