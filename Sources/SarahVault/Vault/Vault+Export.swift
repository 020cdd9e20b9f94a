import Foundation

/// What `exportLog` wrote.
public struct ExportSummary: Sendable, Codable, Equatable {
    /// Entries exported: 0 up to and including the `audit.export` entry that records the export.
    public var entries: Int64
    public var members: Int
    /// Hex RFC 6962 root over the exported entries.
    public var root: String
}

extension Vault {
    /// Writes the audit log as JSON lines (`docs/FORMAT.md` §10.6): a header with the vault id
    /// and the vault's own public keys, one line per roster row (public keys, enrolment seq,
    /// no names), one line per entry (its bytes in hex and every field decoded), and a trailer
    /// with the tree size and root, signed by the exporter as a checkpoint. Everything an
    /// outside verifier needs to check every entry, signature, link and membership — without
    /// this software and without any key.
    ///
    /// The export is recorded first (`audit.export`, itself the last exported entry); nothing is
    /// written before that entry is committed. Auditors and officers only.
    public func exportLog(to sink: PlaintextSink) throws(VaultError) -> ExportSummary {
        try require(.readAuditLog, action: AuditAction.export)
        let recorded = try store.writeTransaction { () throws(VaultError) -> AuditEntry in
            let size = try store.auditCount() + 1
            return try log.append(
                by: identity, role: myRole, action: AuditAction.export, result: .granted,
                AuditLog.Subject(detail: "size=\(size)"))
        }
        let last = recorded.seq
        let members = try store.members()
        var firstBoardKey = try store.meta("board_key_0")
        if firstBoardKey == nil { firstBoardKey = try store.meta("board_public_key") }
        try write(
            ExportHeader(
                vaultId: id, origin: checkpointOrigin, exportedBy: identity.keyID, exportSeq: last,
                recoveryKey: try store.meta("recovery_key").map { Hex.encode($0) },
                boardPublicKey: try store.meta("board_public_key").map { Hex.encode($0) },
                firstBoardPublicKey: firstBoardKey.map { Hex.encode($0) }),
            to: sink)
        for m in members { try write(ExportMember(m), to: sink) }
        var tree = MerkleTree.CompactRange()
        var count: Int64 = 0
        try store.forEachAuditEntry(from: 0) { (seq, bytes) throws(VaultError) in
            guard seq <= last else { return }
            guard seq == count else {
                throw VaultError(
                    .verificationFailed,
                    "audit entry \(count) is missing or out of order: the log cannot be exported whole",
                    hints: ["run 'sarah-vault audit verify' for the full report"])
            }
            let leaf = AuditEntry.leafHash(of: bytes)
            let entry: AuditEntry
            do throws(VaultError) {
                entry = try AuditEntry(bytes: bytes)
            } catch {
                throw VaultError(.verificationFailed, "audit entry \(seq) is malformed: \(error.message)")
            }
            try write(
                ExportEntry(bytes: Hex.encode(bytes), leafHash: Hex.encode(leaf), fields: AuditEntryView(entry)),
                to: sink)
            tree.append(leaf)
            count += 1
        }
        guard count == last + 1 else {
            throw VaultError(.verificationFailed, "the log ended at \(count) entries, before its export entry \(last)")
        }
        let root = tree.root
        let checkpoint = try Checkpoint(origin: checkpointOrigin, size: count, rootHash: root).signed(
            by: identity.signing)
        try write(ExportTree(size: count, root: Hex.encode(root), checkpoint: checkpoint.serialized), to: sink)
        try sink.commit()
        return ExportSummary(entries: count, members: members.count, root: Hex.encode(root))
    }

    private func write<T: Encodable>(_ line: T, to sink: PlaintextSink) throws(VaultError) {
        let bytes = try Self.canonicalJSON(line) + [0x0a]
        var failure: VaultError?
        bytes.withUnsafeBytes { p in
            do throws(VaultError) { try sink.write(p) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

// MARK: the lines of an export

private struct ExportHeader: Encodable {
    var type = "vault"
    var format = "sarahvault-audit-export/1"
    var vaultId: String
    var origin: String
    var exportedBy: String
    var exportSeq: Int64
    /// `meta.recovery_key` (X25519 ‖ Ed25519) and the board's current public key; entry 0's
    /// key hash signs the recovery key and the board's first key (`meta.board_key_0` once the
    /// board key has been rotated).
    var recoveryKey: String?
    var boardPublicKey: String?
    var firstBoardPublicKey: String?

    enum CodingKeys: String, CodingKey {
        case type, format, vaultId, origin, exportedBy, exportSeq, recoveryKey, boardPublicKey, firstBoardPublicKey
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(format, forKey: .format)
        try c.encode(vaultId, forKey: .vaultId)
        try c.encode(origin, forKey: .origin)
        try c.encode(exportedBy, forKey: .exportedBy)
        try c.encode(exportSeq, forKey: .exportSeq)
        try c.encode(recoveryKey, forKey: .recoveryKey)
        try c.encode(boardPublicKey, forKey: .boardPublicKey)
        try c.encode(firstBoardPublicKey, forKey: .firstBoardPublicKey)
    }
}

private struct ExportMember: Encodable {
    var type = "member"
    var keyId: String
    var role: String
    var publicKey: String
    var boxPublicKey: String
    var signPublicKey: String
    /// The encrypted profile (name and unit under the roster key): needed to recompute the
    /// member record hash that the enrolling entry signs, and readable only with a roster key.
    var profile: String
    var recordHash: String
    var entrySeq: Int64
    var removedSeq: Int64?

    init(_ m: StoredMember) {
        keyId = m.keyID
        role = m.role
        publicKey = PublicKey(boxKey: m.boxPublicKey, signingKey: m.signPublicKey).token
        boxPublicKey = Hex.encode(m.boxPublicKey)
        signPublicKey = Hex.encode(m.signPublicKey)
        profile = Hex.encode(m.profile)
        recordHash = Role(rawValue: m.role).map { Hex.encode(MemberProfile.recordHash(m, role: $0)) } ?? ""
        entrySeq = m.entrySeq
        removedSeq = m.removedSeq
    }

    enum CodingKeys: String, CodingKey {
        case type, keyId, role, publicKey, boxPublicKey, signPublicKey, profile, recordHash, entrySeq, removedSeq
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(keyId, forKey: .keyId)
        try c.encode(role, forKey: .role)
        try c.encode(publicKey, forKey: .publicKey)
        try c.encode(boxPublicKey, forKey: .boxPublicKey)
        try c.encode(signPublicKey, forKey: .signPublicKey)
        try c.encode(profile, forKey: .profile)
        try c.encode(recordHash, forKey: .recordHash)
        try c.encode(entrySeq, forKey: .entrySeq)
        try c.encode(removedSeq, forKey: .removedSeq)
    }
}

/// An entry: `type`, `bytes`, `leafHash` and the decoded fields side by side in one object.
private struct ExportEntry: Encodable {
    var bytes: String
    var leafHash: String
    var fields: AuditEntryView

    enum CodingKeys: String, CodingKey { case type, bytes, leafHash }

    func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("entry", forKey: .type)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(leafHash, forKey: .leafHash)
    }
}

private struct ExportTree: Encodable {
    var type = "tree"
    var size: Int64
    var root: String
    /// A C2SP checkpoint of `size` and `root`, signed by the exporter.
    var checkpoint: String
}
