/// Rows as the store keeps them. Everything here is either public by design (identifiers,
/// dates, status, kinds, sizes, public keys, roles, hashes) or ciphertext; the list is the
/// contract in `docs/SECURITY.md`.
struct StoredMember: Sendable, Equatable {
    var keyID: String
    var role: String
    var boxPublicKey: [UInt8]
    var signPublicKey: [UInt8]
    /// Name and unit, encrypted under the vault's roster key.
    var profile: [UInt8]
    /// The roster key, sealed to this member.
    var sealedRosterKey: [UInt8]
    /// The audit entry that enrolled this member; it signs `recordHash`.
    var entrySeq: Int64
    var removedSeq: Int64?
}

struct StoredCase: Sendable, Equatable {
    var id: String
    var received: String
    var status: String
    var epoch: Int64
    var publicKey: [UInt8]
    /// The audit entry that set `publicKey` (creation or the latest rotation).
    var keySeq: Int64
    var createdSeq: Int64
}

struct StoredDocument: Sendable, Equatable {
    var caseID: String
    var number: Int64
    var kind: String
}

struct StoredVersion: Sendable, Equatable {
    var vid: Int64
    var caseID: String
    var document: Int64
    var version: Int64
    var size: Int64
    var chunkCount: Int64
    var ciphertextHash: [UInt8]
    var keyCommitment: [UInt8]
    /// The version key and the document's name, sealed to the case's current public key.
    var sealedKey: [UInt8]
    var entrySeq: Int64
}

/// A de-identified summary for the board: a one-shot key sealed to the board's public key and
/// the text under it (see `BoardSummaries`).
struct StoredSummary: Sendable, Equatable {
    var caseID: String
    var version: Int64
    var sealedKey: [UInt8]
    /// nonce (24) || XChaCha20-Poly1305 ciphertext of the summary text.
    var body: [UInt8]
    var entrySeq: Int64
}

/// A case out of the archive: who holds the package, since and until when (identifiers and
/// times only; what it holds is in the package, encrypted to the holder).
struct StoredCheckout: Sendable, Equatable {
    var id: String
    var caseID: String
    var holder: String
    var issued: Int64
    var expires: Int64
    var documents: Int64
    /// `out`, `returned`, `lost` or `cancelled`.
    var status: String
    var issueSeq: Int64
    var closeSeq: Int64?
}
