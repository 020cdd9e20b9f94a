import Foundation

/// What `cosign` did.
public struct CosignResult: Sendable, Codable, Equatable {
    /// The checkpoint with the acting person's signature added (a C2SP signed note).
    public var checkpoint: String
    /// The check that came before signing: the checkpoint is this vault's, signed by a current
    /// member, and the log as it stands is consistent with it.
    public var report: CheckpointReport
    /// The acting person had signed it already; the note is unchanged.
    public var alreadySigned: Bool
    /// How many signatures the note carries now.
    public var signatures: Int
}

extension Vault {
    /// Adds the acting person's signature to an existing checkpoint, after checking it holds
    /// against the log: it is this vault's, a current member signed it, and the log as it
    /// stands is consistent with it (an RFC 9162 consistency proof, as `verify(against:)`).
    ///
    /// A cosignature says "I, too, have seen this log at this size and root": a checkpoint
    /// carrying the officer's, the auditor's and the board's signatures can be forged only by
    /// all of them together. The cosignature is a signature line like the first (key name =
    /// the origin, `docs/FORMAT.md` §10.3). The attempt is recorded either way; a checkpoint
    /// that does not hold is refused with `.verificationFailed`.
    public func cosign(_ checkpointText: String) throws(VaultError) -> CosignResult {
        try cosign(Array(checkpointText.utf8))
    }

    /// `cosign(_:)` with the checkpoint read from `path`, the result written to the new file
    /// `out` (never over an existing one) when given.
    public func cosign(checkpointFile path: String, to out: String? = nil) throws(VaultError) -> CosignResult {
        if let out, FileManager.default.fileExists(atPath: out) {
            throw VaultError(
                .alreadyExists, "\(out) already exists: refusing to overwrite a checkpoint",
                hints: ["choose another --out path; keep every checkpoint you have written"])
        }
        let bytes = try FileIO.readSmall(path: path, limit: SignedNote.maxBytes, what: "checkpoint")
        let result = try cosign(bytes)
        if let out {
            try FileIO.createExclusive(
                path: out, bytes: Array(result.checkpoint.utf8), mode: 0o644, what: "audit checkpoint")
        }
        return result
    }

    private func cosign(_ bytes: [UInt8]) throws(VaultError) -> CosignResult {
        try require(.verifyAuditLog, action: AuditAction.cosign)
        let note = try SignedNote(parsing: bytes)
        let checkpoint = try Checkpoint(text: note.text)
        let label = "size=\(checkpoint.size) root=\(Hex.encode(checkpoint.rootHash))"
        do throws(VaultError) {
            return try store.writeTransaction { () throws(VaultError) -> CosignResult in
                let report = try consistencyReport(note, checkpoint, trustedKeys: nil)
                guard report.ok else {
                    throw VaultError(
                        .verificationFailed, "refusing to cosign: \(report.message)",
                        hints: ["run 'sarah-vault audit verify --against' with this checkpoint for the full report"])
                }
                var signed = note
                try signed.sign(name: checkpoint.origin, key: identity.signing)
                let already = signed.signatures.count == note.signatures.count
                try log.append(
                    by: identity, role: myRole, action: AuditAction.cosign, result: .granted,
                    AuditLog.Subject(detail: "\(label) signatures=\(signed.signatures.count)"))
                return CosignResult(
                    checkpoint: signed.serialized, report: report, alreadySigned: already,
                    signatures: signed.signatures.count)
            }
        } catch  where error.code == .verificationFailed {
            // The refusal is recorded in its own transaction (the one above rolled back).
            _ = try? store.writeTransaction { () throws(VaultError) in
                try log.append(
                    by: identity, role: myRole, action: AuditAction.cosign, result: .refused,
                    AuditLog.Subject(detail: label))
            }
            throw error
        }
    }
}
