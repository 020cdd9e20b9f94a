import Foundation

extension Vault {
    /// The acting person's public key token (what others name with `--key` to trust them).
    public var actingPublicKey: String { identity.publicKey.token }

    /// A checkpoint file's text, read with a size limit (a checkpoint is a small signed note).
    public static func checkpointText(file path: String) throws(VaultError) -> String {
        let bytes = try FileIO.readSmall(path: path, limit: SignedNote.maxBytes, what: "checkpoint")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VaultError(.invalidInput, "the checkpoint \(path) is not UTF-8 text")
        }
        return text
    }

    /// A self-contained proof that entry `seq` is in the log (a C2SP tlog-proof, see
    /// `AuditProof`), checkable offline with `AuditProofs.verify` and the signer's public key.
    ///
    /// Without `checkpointText`, the acting person signs a fresh checkpoint of the log as it
    /// stands; with it, the proof is against that checkpoint (with all its cosignatures), which
    /// must be this vault's, signed by a current member and consistent with the log. Either way
    /// an `audit.prove` entry records the seq, size and root, in the same transaction. Anyone
    /// with the right to verify may prove their own entries; proving others' takes the right
    /// to read the log.
    public func prove(seq: Int64, against checkpointText: String? = nil) throws(VaultError) -> String {
        let subject = AuditLog.Subject(detail: "seq=\(seq)")
        let stored = try store.auditEntry(seq: seq).flatMap { try? AuditEntry(bytes: $0) }
        let own = stored?.actorKeyID == identity.keyID
        try require(own ? .verifyAuditLog : .readAuditLog, action: AuditAction.prove, subject)
        guard seq >= 0, stored != nil else {
            throw VaultError(
                .notFound, "the log has no entry \(seq)", hints: ["see the entries with 'sarah-vault audit log'"])
        }
        let given: (note: SignedNote, checkpoint: Checkpoint)? = try checkpointText.map {
            (text) throws(VaultError) in
            let note = try SignedNote(parsing: Array(text.utf8))
            return (note, try Checkpoint(text: note.text))
        }
        return try store.writeTransaction { () throws(VaultError) -> String in
            let size: Int64
            if let given {
                let report = try consistencyReport(given.note, given.checkpoint, trustedKeys: nil)
                guard report.ok else {
                    throw VaultError(.verificationFailed, "cannot prove against this checkpoint: \(report.message)")
                }
                guard seq < given.checkpoint.size else {
                    throw VaultError(
                        .invalidInput,
                        "entry \(seq) is newer than the checkpoint, which covers entries 0–\(given.checkpoint.size - 1)",
                        hints: ["prove it against a newer checkpoint, or without --checkpoint"])
                }
                size = given.checkpoint.size
            } else {
                size = try store.auditCount()
            }
            guard let index = Int(exactly: seq), let n = Int(exactly: size) else {
                throw VaultError(.invalidInput, "entry \(seq) is out of range")
            }
            var hasher = MerkleTree.RangeHasher(ranges: try MerkleTree.inclusionRanges(index: index, size: n))
            var tree = MerkleTree.CompactRange()
            var rootAtSize = MerkleTree.emptyRoot
            _ = try forEachLeaf { i, leaf in
                guard i < n else { return }
                hasher.append(leaf)
                tree.append(leaf)
                if i + 1 == n { rootAtSize = tree.root }
            }
            let path = try hasher.finish()
            let note: SignedNote
            if let given {
                note = given.note
            } else {
                note = try Checkpoint(origin: checkpointOrigin, size: size, rootHash: rootAtSize).signed(
                    by: identity.signing)
            }
            guard let entryBytes = try store.auditEntry(seq: seq) else {
                throw VaultError(.notFound, "the log has no entry \(seq)")
            }
            // What is handed out must check, by the same code a recipient runs.
            try MerkleProof.verifyInclusion(
                leafHash: AuditEntry.leafHash(of: entryBytes), index: index, size: n, proof: path, root: rootAtSize)
            try log.append(
                by: identity, role: myRole, action: AuditAction.prove, result: .granted,
                AuditLog.Subject(
                    detail:
                        "seq=\(seq) size=\(size) root=\(Hex.encode(rootAtSize))\(given == nil ? "" : " checkpoint=given")"
                ))
            return AuditProof(entryBytes: entryBytes, index: seq, path: path, note: note).text
        }
    }

    /// `prove(seq:against:)`, written to the new file `path` (never over an existing one).
    @discardableResult
    public func writeProof(seq: Int64, against checkpointText: String? = nil, to path: String) throws(VaultError)
        -> String
    {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw VaultError(
                .alreadyExists, "\(path) already exists: refusing to overwrite it",
                hints: ["choose another --out path"])
        }
        let text = try prove(seq: seq, against: checkpointText)
        try FileIO.createExclusive(path: path, bytes: Array(text.utf8), mode: 0o644, what: "audit proof")
        return text
    }
}
