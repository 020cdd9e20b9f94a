/// A C2SP `tlog-checkpoint` (c2sp.org/tlog-checkpoint): the audit log's Merkle tree head at one
/// size, as the text of a signed note.
///
/// ```
/// sarahvault.local/<vault id, 32 lowercase hex digits>
/// <tree size in decimal, no leading zeros>
/// <base64 of the RFC 6962 root>
///
/// — sarahvault.local/<vault id> base64(key id || Ed25519 signature)
/// ```
///
/// **Signer names.** Each signature line names its key by the checkpoint's origin, as the
/// specification recommends for the log's own signature ("the log's key name SHOULD match the
/// origin line"). In SarahVault every member with the right signs as the log, so several
/// members' signatures share that name; the key id, SHA-256(origin || 0x0A || 0x01 || Ed25519
/// public key)[0..<4], tells them apart, and a verifier is configured with the full verifier
/// key string `sarahvault.local/<vault id>+<key id>+base64(0x01 || public key)`.
///
/// We write exactly the three lines: no extension lines (the specification advises against
/// them, and a timestamp in one would not be audited by monitors). The time a checkpoint was
/// made is in the signed `audit.checkpoint` entry that records it, which names its size and
/// root. Reading, extension lines (non-empty, at most 16) are accepted and kept.
struct Checkpoint: Sendable, Equatable {
    static let originPrefix = "sarahvault.local/"
    static let maxExtensionLines = 16

    let origin: String
    let size: Int64
    let rootHash: [UInt8]
    let extensionLines: [String]

    init(origin: String, size: Int64, rootHash: [UInt8], extensionLines: [String] = []) throws(VaultError) {
        guard !origin.isEmpty, !origin.contains("\n") else {
            throw VaultError(.invalidInput, "a checkpoint's origin must be one non-empty line")
        }
        guard size >= 0 else { throw VaultError(.invalidInput, "a checkpoint's tree size cannot be negative") }
        guard rootHash.count == MerkleTree.hashBytes else {
            throw VaultError(.invalidInput, "a checkpoint's root hash is \(MerkleTree.hashBytes) bytes")
        }
        guard extensionLines.count <= Self.maxExtensionLines,
            extensionLines.allSatisfy({ !$0.isEmpty && !$0.contains("\n") })
        else {
            throw VaultError(.invalidInput, "a checkpoint's extension lines must be non-empty single lines")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// The origin of a vault's log: `sarahvault.local/` and the vault id in lowercase hex.
    static func origin(vaultID: [UInt8]) -> String { originPrefix + Hex.encode(vaultID) }

    /// The note text: origin, size and root, each ending in a newline.
    var text: String {
        ([origin, String(size), SignedNote.Base64.encode(rootHash)] + extensionLines).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint's note text strictly. It does not verify anything: the text of a
    /// note means nothing until its signature has been checked (`open(_:trusting:)`).
    init(text: String) throws(VaultError) {
        guard text.utf8.last == 0x0a else { throw Self.malformed("its text does not end in a newline") }
        let lines = text.utf8.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard lines.count >= 3 else { throw Self.malformed("it needs an origin, a tree size and a root hash") }
        guard lines.count <= 3 + Self.maxExtensionLines else { throw Self.malformed("it has too many lines") }
        guard let size = Self.parseSize(lines[1]) else {
            throw Self.malformed("its tree size is not a decimal number without leading zeros")
        }
        guard let root = SignedNote.Base64.decode(lines[2]), root.count == MerkleTree.hashBytes else {
            throw Self.malformed("its root hash is not 32 bytes in canonical base64")
        }
        guard !lines[0].isEmpty else { throw Self.malformed("its origin is empty") }
        guard lines[3...].allSatisfy({ !$0.isEmpty }) else { throw Self.malformed("it has an empty extension line") }
        try self.init(origin: lines[0], size: size, rootHash: root, extensionLines: Array(lines[3...]))
    }

    /// Signs a checkpoint as the log: the key name is the origin (see the type's comment).
    func signed(by key: SigningKeyPair) throws(VaultError) -> SignedNote {
        var note = try SignedNote(text: text)
        try note.sign(name: origin, key: key)
        return note
    }

    /// The verifier for a member's Ed25519 key as a signer of this origin's checkpoints.
    static func verifier(origin: String, signingKey: [UInt8]) throws(VaultError) -> SignedNote.Verifier {
        try SignedNote.Verifier(name: origin, publicKey: signingKey)
    }

    /// Parses a signed checkpoint file and verifies its signatures against `trusted`; returns
    /// the checkpoint and the keys whose signatures hold.
    static func open(_ bytes: [UInt8], trusting trusted: [SignedNote.Verifier]) throws(VaultError) -> (
        checkpoint: Checkpoint, signers: [SignedNote.Verifier]
    ) {
        let note = try SignedNote(parsing: bytes)
        let checkpoint = try Checkpoint(text: note.text)
        return (checkpoint, try note.verify(by: trusted))
    }

    /// ASCII decimal, no sign, no leading zeros (except "0" itself), within Int64.
    private static func parseSize(_ s: String) -> Int64? {
        let digits = Array(s.utf8)
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard digits.count == 1 || digits[0] != 0x30 else { return nil }
        return Int64(s)
    }

    private static func malformed(_ why: String) -> VaultError {
        VaultError(.invalidInput, "not a valid checkpoint: \(why)")
    }
}
