extension Vault {
    /// Audit entries, oldest first, optionally only those about one case. Reading the log is
    /// itself logged.
    public func auditLog(caseID rawCase: String? = nil) throws(VaultError) -> [AuditEntry] {
        let caseID = try rawCase.map { (c) throws(VaultError) in try Diarienummer.validate(c) }
        try require(.readAuditLog, action: AuditAction.readLog, AuditLog.Subject(caseID: caseID))
        try store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.readLog, result: .granted,
                AuditLog.Subject(caseID: caseID))
        }
        var out: [AuditEntry] = []
        try store.forEachAuditEntry(from: 0) { (_, bytes) throws(VaultError) in
            let e = try AuditEntry(bytes: bytes)
            if caseID == nil || e.caseID == caseID { out.append(e) }
        }
        return out
    }

    /// Verifies the whole vault without any content key (see `AuditVerifier`), then logs that
    /// it did, with the outcome.
    public func verify(progress: ((String) -> Void)? = nil) throws(VaultError) -> VerificationReport {
        try require(.verifyAuditLog, action: AuditAction.verifyLog)
        let report = try AuditVerifier(store: store, vaultID: vaultID).run(progress: progress)
        // Recording the check must not hide its result: if the log cannot be written (a
        // read-only copy, say) the report still stands.
        _ = try? store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.verifyLog, result: .granted,
                AuditLog.Subject(
                    detail: "entries=\(report.entries) problems=\(report.problems.count) root=\(report.treeRoot)"))
        }
        return report
    }
}
