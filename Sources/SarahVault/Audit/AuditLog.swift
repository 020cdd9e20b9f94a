import Foundation

/// Appends signed, chained entries. Every call happens inside the caller's write transaction,
/// so an entry commits together with the change it records, or not at all.
///
/// Fail-closed: when the entry cannot be written — the database is locked, read-only or the
/// disk is full — `append` throws, the caller's transaction rolls back, and the operation it
/// was to record does not happen: nothing changes and nothing is released (a read writes its
/// entry before the first plaintext byte).
struct AuditLog {
    let store: any VaultStore
    let vaultID: [UInt8]

    struct Subject {
        var caseID: String? = nil
        var document: Int64? = nil
        var version: Int64? = nil
        var dataHash: [UInt8]? = nil
        var keyHash: [UInt8]? = nil
        var detail: String = ""
    }

    @discardableResult
    func append(
        by identity: Identity, role: Role?, action: String, result: AuditEntry.Result, _ subject: Subject = Subject()
    ) throws(VaultError) -> AuditEntry {
        let last = try store.lastAuditEntry()
        let seq = (last?.seq ?? -1) + 1
        let previous = last.map { AuditEntry.leafHash(of: $0.bytes) } ?? [UInt8](repeating: 0, count: 32)
        var entry = AuditEntry(
            vaultID: vaultID, seq: seq, timeMillis: Self.now(), actorKeyID: identity.keyID,
            actorSigningKey: identity.signing.publicKey, role: role, result: result, action: action,
            caseID: subject.caseID, document: subject.document, version: subject.version,
            dataHash: subject.dataHash, keyHash: subject.keyHash, detail: subject.detail, previousHash: previous)
        entry.signature = identity.sign(entry.signedBytes)
        do throws(VaultError) {
            try store.appendAuditEntry(seq: seq, bytes: entry.bytes)
        } catch {
            throw Self.notWritten(error)
        }
        return entry
    }

    /// The error for an entry that could not be written: the store's reason, and that nothing
    /// was done. The code is the store's (`.busy`, `.io`, …), so callers can tell a lock from a
    /// full disk.
    static func notWritten(_ error: VaultError) -> VaultError {
        var message = error.message
        if let cut = message.range(of: ": nothing was changed") { message.removeSubrange(cut) }
        return VaultError(
            error.code,
            "the audit entry could not be written (\(message)): the operation was not carried out and nothing was released",
            hints: error.hints)
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Appends `count` signed entries of `action` by `identity`, in the caller's write
    /// transaction, keeping the chain head in memory instead of reading it back each time.
    /// For benchmarks and tests that need a long log quickly; the entries are ordinary entries
    /// in every way (`audit verify` checks them like any other).
    func appendMany(
        _ count: Int, by identity: Identity, role: Role?, action: String, detail: String = ""
    ) throws(VaultError) {
        let last = try store.lastAuditEntry()
        var seq = (last?.seq ?? -1) + 1
        var previous = last.map { AuditEntry.leafHash(of: $0.bytes) } ?? [UInt8](repeating: 0, count: 32)
        for _ in 0..<count {
            var entry = AuditEntry(
                vaultID: vaultID, seq: seq, timeMillis: Self.now(), actorKeyID: identity.keyID,
                actorSigningKey: identity.signing.publicKey, role: role, result: .granted, action: action,
                detail: detail, previousHash: previous)
            entry.signature = identity.sign(entry.signedBytes)
            let bytes = entry.bytes
            try store.appendAuditEntry(seq: seq, bytes: bytes)
            previous = AuditEntry.leafHash(of: bytes)
            seq += 1
        }
    }
}
