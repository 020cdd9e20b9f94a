extension Vault {
    /// Releases the plaintext of one document version to `sink`, if the acting person holds the
    /// case key. The read is logged and durably committed before the first byte is written.
    /// `document` is a name or a number; it may be omitted when the case has one document.
    public func read(
        caseID rawCase: String, document: String? = nil, version: Int64? = nil, to sink: PlaintextSink
    ) throws(VaultError) {
        let caseID = try Diarienummer.validate(rawCase)
        try require(.readContent, action: AuditAction.readDocument, AuditLog.Subject(caseID: caseID))
        guard let c = try store.caseRecord(caseID) else { throw unknownCase(caseID, action: AuditAction.readDocument) }
        guard let caseKey = try openCaseKey(c) else {
            throw refusal(
                action: AuditAction.readDocument, AuditLog.Subject(caseID: caseID),
                message: "refused: you hold no key to case \(caseID)",
                hints: ["an officer can grant access: sarah-vault grant \(caseID) \(identity.keyID)"])
        }
        let reader = DocumentReader(store: store, vaultID: vaultID)
        let all = try store.versions(caseID: caseID).filter { $0.document != Self.recordDocument }
        var named: [(StoredVersion, DocumentReader.Opened)] = []
        for v in all { named.append((v, try reader.openKey(v, caseKey: caseKey))) }

        let docNumbers = Set(named.map { $0.0.document })
        let chosenDoc: Int64
        if let document {
            let byName = Set(named.filter { $0.1.name == document }.map { $0.0.document })
            if byName.count > 1 {
                // Two documents of one name (the registrar cannot see the names already there).
                throw VaultError(
                    .invalidInput, "case \(caseID) has \(byName.count) documents by that name: name one by its number",
                    hints: ["see the documents and their numbers with 'sarah-vault show \(caseID)'"])
            } else if let only = byName.first {
                chosenDoc = only
            } else if let n = Int64(document), docNumbers.contains(n) {
                chosenDoc = n
            } else {
                throw VaultError(
                    .notFound, "case \(caseID) has no document by that name or number",
                    hints: ["see the documents with 'sarah-vault show \(caseID)'"])
            }
        } else {
            guard docNumbers.count == 1, let only = docNumbers.first else {
                throw VaultError(
                    .invalidInput,
                    docNumbers.isEmpty
                        ? "case \(caseID) has no documents"
                        : "case \(caseID) has \(docNumbers.count) documents: name one with --doc",
                    hints: ["see the documents with 'sarah-vault show \(caseID)'"])
            }
            chosenDoc = only
        }
        let versions = named.filter { $0.0.document == chosenDoc }.sorted { $0.0.version < $1.0.version }
        guard let (v, opened) = version.map({ n in versions.first { $0.0.version == n } }) ?? versions.last else {
            throw VaultError(.notFound, "document \(chosenDoc) of case \(caseID) has no version \(version ?? 0)")
        }
        try verifyWriteEntry(v)
        try store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.readDocument, result: .granted,
                AuditLog.Subject(caseID: caseID, document: v.document, version: v.version))
        }
        do throws(VaultError) {
            try reader.read(v, opened: opened) { (p) throws(VaultError) in try sink.write(p) }
            try sink.commit()
        } catch {
            // The granted entry above says the read began; this one says it did not complete
            // (tampered data, or the output failed), so the log does not overstate what left.
            _ = try? store.writeTransaction { () throws(VaultError) in
                try log.append(
                    by: identity, role: myRole, action: AuditAction.readDocument, result: .refused,
                    AuditLog.Subject(
                        caseID: caseID, document: v.document, version: v.version,
                        detail: error.code == .authenticationFailed || error.code == .corrupt
                            ? "failed=integrity" : "failed=output"))
            }
            throw error
        }
    }

    /// Checks a version row against the signed entry that wrote it.
    func verifyWriteEntry(_ v: StoredVersion) throws(VaultError) {
        guard let bytes = try store.auditEntry(seq: v.entrySeq) else {
            throw VaultError(
                .corrupt, "case \(v.caseID) document \(v.document) version \(v.version): its audit entry is missing")
        }
        let e = try AuditEntry(bytes: bytes)
        guard e.seq == v.entrySeq, e.action == AuditAction.addDocument, e.result == .granted, e.caseID == v.caseID,
            e.document == v.document, e.version == v.version, e.dataHash == v.ciphertextHash,
            e.keyHash == v.keyCommitment, e.verifySignature()
        else {
            throw VaultError(
                .corrupt,
                "case \(v.caseID) document \(v.document) version \(v.version) does not match its signed audit entry \(v.entrySeq)"
            )
        }
    }
}
