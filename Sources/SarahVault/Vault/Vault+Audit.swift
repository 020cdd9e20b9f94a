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
    ///
    /// With `sinceCheckpoint`, starts from the tree the acting person last verified in full on
    /// this vault (kept signed by them in the vault, see `docs/FORMAT.md` §10.4): every stored
    /// leaf is hashed again and must reproduce that tree's root, but only newer entries have
    /// their signatures checked and only newer ciphertext is re-hashed. Without one, or when it
    /// is not theirs, it verifies everything. After a check that holds, the tree it verified
    /// becomes the new starting point.
    public func verify(sinceCheckpoint: Bool = false, progress: ((String) -> Void)? = nil) throws(VaultError)
        -> VerificationReport
    {
        try require(.verifyAuditLog, action: AuditAction.verifyLog)
        let start = sinceCheckpoint ? try verifiedCheckpoint() : nil
        let report = try AuditVerifier(store: store, vaultID: vaultID, format: format).run(
            from: start, progress: progress)
        let mode = "from=\(report.trustedEntries)"
        // Recording the check must not hide its result: if the log cannot be written (a
        // read-only copy, say) the report still stands.
        _ = try? store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.verifyLog, result: .granted,
                AuditLog.Subject(
                    detail:
                        "entries=\(report.entries) problems=\(report.problems.count) root=\(report.treeRoot) \(mode)"))
            if report.ok, let root = Hex.decode(report.treeRoot) {
                try rememberVerified(size: report.entries, root: root)
            }
        }
        return report
    }

    /// The meta row that keeps the tree the acting person last verified in full.
    var verifiedCheckpointName: String { "verified_checkpoint/" + identity.keyID }

    /// Keeps a checkpoint of the verified tree, signed by the acting person, in the vault.
    /// Nothing else trusts it: only its signer starts a later check from it.
    private func rememberVerified(size: Int64, root: [UInt8]) throws(VaultError) {
        let note = try Checkpoint(origin: checkpointOrigin, size: size, rootHash: root).signed(by: identity.signing)
        try store.setMeta(verifiedCheckpointName, Array(note.serialized.utf8))
    }

    /// The tree the acting person last verified, if the vault holds one that they signed for
    /// this vault; nil otherwise (then the check verifies everything). Whether the log still
    /// extends it is the verifier's to check.
    func verifiedCheckpoint() throws(VaultError) -> AuditVerifier.TrustedStart? {
        guard let bytes = try store.meta(verifiedCheckpointName) else { return nil }
        let mine = try Checkpoint.verifier(origin: checkpointOrigin, signingKey: identity.signing.publicKey)
        guard let note = try? SignedNote(parsing: bytes), let checkpoint = try? Checkpoint(text: note.text),
            checkpoint.origin == checkpointOrigin, (try? note.verify(by: [mine])) != nil
        else { return nil }
        return AuditVerifier.TrustedStart(size: checkpoint.size, root: checkpoint.rootHash)
    }
}
