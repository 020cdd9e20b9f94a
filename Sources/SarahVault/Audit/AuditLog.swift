import Foundation

/// Appends signed, chained entries. Every call happens inside the caller's write transaction,
/// so an entry commits together with the change it records, or not at all.
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
        try store.appendAuditEntry(seq: seq, bytes: entry.bytes)
        return entry
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
