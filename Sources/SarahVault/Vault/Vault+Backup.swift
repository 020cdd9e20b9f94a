import Foundation

/// Backups: a consistent snapshot of the whole vault while others keep working. A backup is
/// the vault itself — as confidential, so just as encrypted — and verifies the same way.
extension Vault {
    /// Writes a backup to a new file. The backup is logged first, so the copy holds its own
    /// record; a checkpoint taken before the backup verifies against the copy.
    public func backup(to path: String) throws(VaultError) -> VerificationReport {
        try require(.backup, action: AuditAction.backup)
        try store.writeTransaction { () throws(VaultError) in
            try log.append(by: identity, role: myRole, action: AuditAction.backup, result: .granted)
        }
        try store.backup(to: path)
        // Check the copy as an auditor would: every entry, key and ciphertext, without keys.
        let copy = try SQLiteStore(path: path, create: false)
        let report = try AuditVerifier(store: copy, vaultID: vaultID, format: try VaultFormat.load(copy)).run()
        guard report.ok else {
            throw VaultError(
                .verificationFailed, "the backup at \(path) does not verify: \(report.problems.first ?? "")")
        }
        return report
    }

    /// Restores a backup into `path` (which must not exist: move a damaged vault away first).
    /// The backup must verify completely; the restore is then logged in the restored vault by
    /// `identity`, who must hold the backup right there.
    public static func restore(from backupPath: String, to path: String, identity: Identity) throws(VaultError)
        -> VerificationReport
    {
        let source = try SQLiteStore(path: backupPath, create: false)
        guard let vaultID = try source.meta("vault_id"), vaultID.count == 16 else {
            throw VaultError(.corrupt, "\(backupPath) has no valid vault id")
        }
        let report = try AuditVerifier(store: source, vaultID: vaultID, format: try VaultFormat.load(source)).run()
        guard report.ok else {
            throw VaultError(
                .verificationFailed, "the backup does not verify, so it is not restored: \(report.problems.first ?? "")"
            )
        }
        try source.backup(to: path)
        let restored: Vault
        do throws(VaultError) {
            restored = try Vault.open(at: path, identity: identity)
            try restored.require(.backup, action: AuditAction.restore)
        } catch {
            unlink(path)
            throw error
        }
        try restored.store.writeTransaction { () throws(VaultError) in
            try restored.log.append(
                by: identity, role: restored.myRole, action: AuditAction.restore, result: .granted,
                AuditLog.Subject(detail: "entries=\(report.entries) root=\(report.treeRoot)"))
        }
        return report
    }
}
