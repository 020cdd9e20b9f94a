import Foundation

/// A person's secret keys, unlocked: X25519 (opens case keys sealed to them) and Ed25519 (signs
/// what they do). Lives only in guarded memory; on disk only as an `IdentityFile`.
public final class Identity {
    public let name: String
    let box: BoxKeyPair
    let signing: SigningKeyPair

    init(name: String, box: BoxKeyPair, signing: SigningKeyPair) {
        self.name = name
        self.box = box
        self.signing = signing
    }

    /// A fresh identity with random keys.
    public static func generate(name: String) throws(VaultError) -> Identity {
        let trimmed = name.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.utf8.count <= 200 else {
            throw VaultError(.invalidInput, "a name must be 1 to 200 bytes")
        }
        let seed = try Sodium.randomSecret(SigningKeyPair.seedBytes)
        return Identity(name: trimmed, box: try BoxKeyPair(), signing: try SigningKeyPair(seed: seed))
    }

    public var publicKey: PublicKey { PublicKey(boxKey: box.publicKey, signingKey: signing.publicKey) }
    public var keyID: String { publicKey.keyID }

    func sign(_ message: [UInt8]) -> [UInt8] { signing.sign(message) }
}

@available(*, unavailable)
extension Identity: Sendable {}

/// A passphrase in guarded memory. The caller's bytes are wiped when it is made.
public final class Passphrase {
    let secret: SecureBytes

    public init(bytes: inout [UInt8]) throws(VaultError) {
        // A trailing newline from a passphrase file is not part of the passphrase.
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw VaultError(.invalidInput, "the passphrase is empty")
        }
        secret = try SecureBytes(consuming: &bytes)
    }
}

@available(*, unavailable)
extension Passphrase: Sendable {}
