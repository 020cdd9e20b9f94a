/// The vault's offline recovery key: an archive must outlive its staff, so at `init` a
/// random 32-byte seed is made, shown once (or written to a file the officer keeps elsewhere),
/// and every case key and the roster key are also sealed to it. With it, `recover` enrols a new
/// officer in a vault whose officers have all left.
///
/// From the seed: X25519 secret = BLAKE2b-256(key = seed, "sarahvault/v1/recovery/x25519"),
/// Ed25519 seed = BLAKE2b-256(key = seed, "sarahvault/v1/recovery/ed25519"). On paper it is
/// `svrk1-` followed by base32(seed || first 4 bytes of SHA-256("svrk1" || seed)) in groups of
/// five letters joined by `-`.
public final class RecoveryKey {
    static let prefix = "svrk1"
    let identity: Identity
    private let seed: SecureBytes

    init(seed: SecureBytes) throws(VaultError) {
        self.seed = seed
        let x = try Self.derive(seed, "sarahvault/v1/recovery/x25519")
        let e = try Self.derive(seed, "sarahvault/v1/recovery/ed25519")
        identity = Identity(
            name: "recovery key", box: try BoxKeyPair(secretKey: x), signing: try SigningKeyPair(seed: e))
    }

    static func generate() throws(VaultError) -> RecoveryKey {
        try RecoveryKey(seed: try Sodium.randomSecret(32))
    }

    /// Parses the paper form; tolerant of case, spaces, line breaks and dashes, strict on the
    /// checksum.
    public convenience init(text: String) throws(VaultError) {
        let cleaned = String(text.lowercased().unicodeScalars.filter { !" \t\r\n-".unicodeScalars.contains($0) })
        guard cleaned.hasPrefix(Self.prefix), var bytes = Base32.decode(String(cleaned.dropFirst(Self.prefix.count))),
            bytes.count == 36
        else {
            throw VaultError(.invalidInput, "not a SarahVault recovery key (it starts with 'svrk1-')")
        }
        let seedBytes = Array(bytes[0..<32])
        guard Sodium.constantTimeEqual(Array(bytes[32..<36]), Self.checksum(seedBytes)) else {
            Sodium.wipe(&bytes)
            throw VaultError(.invalidInput, "the recovery key is mistyped: its checksum does not match")
        }
        var s = seedBytes
        Sodium.wipe(&bytes)
        try self.init(seed: try SecureBytes(consuming: &s))
    }

    private static func checksum(_ seed: [UInt8]) -> [UInt8] {
        Array(Hash.sha256(Array(prefix.utf8), seed)[0..<4])
    }

    private static func derive(_ seed: SecureBytes, _ label: String) throws(VaultError) -> SecureBytes {
        try Hash.blake2b256Secret(Array(label.utf8), key: seed)
    }

    /// The paper form. Show it once; whoever holds it can open every case.
    public var text: String {
        var bytes = seed.unsafeCopy()
        defer { Sodium.wipe(&bytes) }
        let body = Base32.encode(bytes + Self.checksum(bytes))
        var groups: [String] = []
        var rest = Substring(body)
        while !rest.isEmpty {
            groups.append(String(rest.prefix(5)))
            rest = rest.dropFirst(5)
        }
        return Self.prefix + "-" + groups.joined(separator: "-")
    }

    /// X25519 public key || Ed25519 public key, as stored in the vault's `recovery_key` meta.
    var publicBytes: [UInt8] { identity.box.publicKey + identity.signing.publicKey }
}

@available(*, unavailable)
extension RecoveryKey: Sendable {}
