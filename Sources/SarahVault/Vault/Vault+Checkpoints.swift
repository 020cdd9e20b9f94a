import Foundation

extension AuditAction {
    static let checkpoint = "audit.checkpoint"
}

/// What `verify(against:trustedKeys:)` found when it held the log up to a checkpoint.
public struct CheckpointReport: Sendable, Codable, Equatable {
    public enum Finding: String, Sendable, Codable {
        /// The log is the checkpoint's log, unchanged or grown: a consistency proof holds.
        case consistent
        /// No trusted key signed the checkpoint, or a trusted key's signature fails.
        case untrusted
        /// The checkpoint is of another log (its origin is not this vault's).
        case otherLog = "other-log"
        /// The log has fewer entries than the checkpoint signed: its tail was cut off, or this
        /// is an older copy of the vault (rolled back).
        case truncated
        /// At the checkpoint's size the log has another root: its history was rewritten, or it
        /// forked from the checkpoint's log.
        case forked
        /// The stored log does not hold together (a gap, a malformed entry, a broken link);
        /// `audit verify` names the entry.
        case brokenLog = "broken-log"
    }

    public var finding: Finding
    public var ok: Bool { finding == .consistent }
    /// One line saying what was found, naming the checkpoint and the log.
    public var message: String
    public var origin: String
    public var checkpointSize: Int64
    /// Hex.
    public var checkpointRoot: String
    /// Key ids of the trusted keys whose signatures on the checkpoint hold.
    public var signers: [String] = []
    public var logSize: Int64 = 0
    /// Hex; empty when the log was not read.
    public var logRoot = ""
    /// The RFC 9162 consistency proof from the checkpoint's tree to the log's, hex, when it holds.
    public var consistencyProof: [String] = []
}

extension Vault {
    /// The origin line of this vault's checkpoints: `sarahvault.local/<vault id in hex>`.
    public var checkpointOrigin: String { Checkpoint.origin(vaultID: vaultID) }

    /// The acting person's note verifier key for this vault's checkpoints,
    /// `sarahvault.local/<vault id>+<key id>+<base64 key>`: what a standard C2SP signed-note
    /// tool needs to check a checkpoint they signed.
    public func checkpointVerifierKey() throws(VaultError) -> String {
        try Checkpoint.verifier(origin: checkpointOrigin, signingKey: identity.signing.publicKey).verifierKey
    }

    /// Signs a checkpoint (a C2SP tlog-checkpoint signed note) of the audit log as it stands,
    /// and records that it did.
    ///
    /// The checkpoint covers the entries before it; the `audit.checkpoint` entry that records
    /// it (with its size and root, and the time) is the next one. Both happen in one write
    /// transaction, and the note is returned only once that entry is committed. The stored log
    /// is read once, streaming: its entries must be numbered without gaps and each must link
    /// to the one before, or nothing is signed. Entry signatures and everything else are
    /// `verify()`'s to check.
    public func checkpoint() throws(VaultError) -> String {
        try require(.verifyAuditLog, action: AuditAction.checkpoint)
        let origin = checkpointOrigin
        return try store.writeTransaction { () throws(VaultError) -> String in
            var tree = MerkleTree.CompactRange()
            _ = try forEachLeaf { _, leaf in tree.append(leaf) }
            let root = tree.root
            let note = try Checkpoint(origin: origin, size: Int64(tree.size), rootHash: root).signed(
                by: identity.signing)
            try log.append(
                by: identity, role: myRole, action: AuditAction.checkpoint, result: .granted,
                AuditLog.Subject(detail: "size=\(tree.size) root=\(Hex.encode(root))"))
            return note.serialized
        }
    }

    /// `checkpoint()`, written to a new file at `path` (never over an existing one).
    @discardableResult
    public func writeCheckpoint(to path: String) throws(VaultError) -> String {
        // Refuse before anything is signed or logged.
        guard !FileManager.default.fileExists(atPath: path) else {
            throw VaultError(
                .alreadyExists, "\(path) already exists: refusing to overwrite a checkpoint",
                hints: ["choose another --out path; keep every checkpoint you have written"])
        }
        let text = try checkpoint()
        try FileIO.createExclusive(path: path, bytes: Array(text.utf8), mode: 0o644, what: "audit checkpoint")
        return text
    }

    /// Holds the log up to a checkpoint kept outside the vault: checks the checkpoint's
    /// signature, that it is this vault's, and an RFC 9162 consistency proof from its tree to
    /// the log's as it stands — so a log that was cut short, rolled back to an older copy, or
    /// rewritten since the checkpoint fails, and the report says which.
    ///
    /// `trustedKeys` are the keys whose signatures count; when nil, any current member's whose
    /// roster row verifies. (An old copy of the vault may not know a member enrolled later;
    /// name their key to check a checkpoint they signed against it.) A checkpoint that cannot
    /// be parsed is an `.invalidInput` error; everything else is in the report. The check is
    /// recorded in the log (best effort, as for `verify()`).
    public func verify(against checkpointText: String, trustedKeys: [PublicKey]? = nil) throws(VaultError)
        -> CheckpointReport
    {
        try verifyCheckpoint(Array(checkpointText.utf8), trustedKeys: trustedKeys)
    }

    /// `verify(against:trustedKeys:)` with the checkpoint read from a file.
    public func verify(againstCheckpointFile path: String, trustedKeys: [PublicKey]? = nil) throws(VaultError)
        -> CheckpointReport
    {
        let bytes = try FileIO.readSmall(path: path, limit: SignedNote.maxBytes, what: "checkpoint")
        return try verifyCheckpoint(bytes, trustedKeys: trustedKeys)
    }

    private func verifyCheckpoint(_ bytes: [UInt8], trustedKeys: [PublicKey]?) throws(VaultError) -> CheckpointReport {
        try require(.verifyAuditLog, action: AuditAction.verifyLog, AuditLog.Subject(detail: "against a checkpoint"))
        let note = try SignedNote(parsing: bytes)
        let checkpoint = try Checkpoint(text: note.text)
        let report = try store.readTransaction { () throws(VaultError) -> CheckpointReport in
            try consistencyReport(note, checkpoint, trustedKeys: trustedKeys)
        }
        _ = try? store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.verifyLog, result: .granted,
                AuditLog.Subject(
                    detail:
                        "checkpoint size=\(checkpoint.size) root=\(Hex.encode(checkpoint.rootHash)) finding=\(report.finding.rawValue)"
                ))
        }
        return report
    }

    func consistencyReport(_ note: SignedNote, _ checkpoint: Checkpoint, trustedKeys: [PublicKey]?) throws(VaultError)
        -> CheckpointReport
    {
        let m = checkpoint.size
        let label = "the checkpoint of \(m) entries (root \(Hex.encode(checkpoint.rootHash).prefix(16))…)"
        var report = CheckpointReport(
            finding: .consistent, message: "", origin: checkpoint.origin, checkpointSize: m,
            checkpointRoot: Hex.encode(checkpoint.rootHash))
        func finish(_ finding: CheckpointReport.Finding, _ message: String) -> CheckpointReport {
            report.finding = finding
            report.message = message
            return report
        }

        // 1. Whose log: a checkpoint of another vault proves nothing about this one.
        let origin = checkpointOrigin
        guard checkpoint.origin == origin else {
            return finish(.otherLog, "\(label) is of another log (\(checkpoint.origin)), not this vault's (\(origin))")
        }

        // 2. Who signed it. The note's text means nothing until a trusted signature holds.
        var trusted: [(keyID: String, verifier: SignedNote.Verifier)] = []
        if let trustedKeys {
            for key in trustedKeys {
                trusted.append((key.keyID, try Checkpoint.verifier(origin: origin, signingKey: key.signingKey)))
            }
        } else {
            let roster = Roster(store: store)
            for row in try store.members() where row.removedSeq == nil {
                // A row that does not match its signed enrolment is not trusted (`verify()` reports it).
                guard (try? roster.verify(row)) != nil else { continue }
                trusted.append((row.keyID, try Checkpoint.verifier(origin: origin, signingKey: row.signPublicKey)))
            }
        }
        do throws(VaultError) {
            let signers = try note.verify(by: trusted.map(\.verifier))
            report.signers = trusted.filter { t in signers.contains(t.verifier) }.map(\.keyID)
        } catch {
            let whose = trustedKeys == nil ? "a current member of this vault" : "a key you named"
            let why =
                note.signatures.contains { s in
                    trusted.contains { $0.verifier.name == s.name && $0.verifier.keyID == s.keyID }
                }
                ? error.message : "it is not signed by \(whose)"
            return finish(.untrusted, "\(label) is not trusted: \(why)")
        }

        // 3. The log against it, in one streaming pass: the log's root, the checkpoint's size's
        //    root, and the consistency proof between them.
        let n = try store.auditCount()
        let ranges = m <= n ? try MerkleTree.consistencyRanges(from: Int(m), to: Int(n)) : []
        var proofHasher = MerkleTree.RangeHasher(ranges: ranges)
        var tree = MerkleTree.CompactRange()
        var rootAtM: [UInt8]? = m == 0 ? MerkleTree.emptyRoot : nil
        let streamed: Int64
        do throws(VaultError) {
            streamed = try forEachLeaf { index, leaf in
                proofHasher.append(leaf)
                tree.append(leaf)
                if index + 1 == Int(m) { rootAtM = tree.root }
            }
        } catch {
            return finish(.brokenLog, "the log cannot be held up to \(label): \(error.message)")
        }
        guard streamed == n else {
            return finish(.brokenLog, "the log changed while it was read (\(n) entries, then \(streamed))")
        }
        report.logSize = n
        report.logRoot = Hex.encode(tree.root)

        guard n >= m else {
            let missing = n == m - 1 ? "entry \(n) was" : "entries \(n)–\(m - 1) were"
            return finish(
                .truncated,
                "the log has \(n) entries but \(label) signed \(m): \(missing) cut off, or this is an older copy of the vault (rolled back)"
            )
        }
        let proof = try proofHasher.finish()
        do throws(VaultError) {
            try MerkleProof.verifyConsistency(
                size1: Int(m), size2: Int(n), proof: proof, root1: checkpoint.rootHash, root2: tree.root)
        } catch {
            let ours = rootAtM.map { " (the log's root at that size is \(Hex.encode($0).prefix(16))…)" } ?? ""
            return finish(
                .forked,
                "the log's first \(m) entries are not those \(label) signed\(ours): the log was rewritten since, or forked from it (an older copy of the vault written to since looks the same)"
            )
        }
        report.consistencyProof = proof.map { Hex.encode($0) }
        let grown = n == m ? "unchanged since" : "grown by \(n - m) entries since"
        return finish(.consistent, "the log of \(n) entries is consistent with \(label): \(grown)")
    }

    /// Streams the stored log's RFC 6962 leaf hashes in order. The rows must be numbered 0, 1,
    /// 2, … and each entry must parse, belong to this vault and link to the one before —
    /// otherwise a `.verificationFailed` error names the first that does not. Returns the count.
    func forEachLeaf(_ body: (_ index: Int, _ leafHash: [UInt8]) -> Void) throws(VaultError) -> Int64 {
        var expected: Int64 = 0
        var previous = [UInt8](repeating: 0, count: MerkleTree.hashBytes)
        try store.forEachAuditEntry(from: 0) { (seq, bytes) throws(VaultError) in
            guard seq == expected else {
                throw VaultError(.verificationFailed, "audit entry \(expected) is missing or out of order")
            }
            let entry: AuditEntry
            do throws(VaultError) {
                entry = try AuditEntry(bytes: bytes)
            } catch {
                throw VaultError(.verificationFailed, "audit entry \(seq) is malformed: \(error.message)")
            }
            guard entry.seq == seq, entry.vaultID == vaultID, entry.previousHash == previous else {
                throw VaultError(
                    .verificationFailed,
                    "audit entry \(seq) does not link to the entry before it: an entry was edited, deleted or reordered",
                    hints: ["run 'sarah-vault audit verify' to see the whole report"])
            }
            previous = AuditEntry.leafHash(of: bytes)
            body(Int(seq), previous)
            expected += 1
        }
        return expected
    }
}
