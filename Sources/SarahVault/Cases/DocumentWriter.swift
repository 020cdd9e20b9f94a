/// Encrypts one document version into the store, chunk by chunk, inside the caller's write
/// transaction, and appends the signed entry that records its ciphertext hash and key
/// commitment. Memory stays at two batches (`ChunkPipeline`) whatever the file's size.
struct DocumentWriter {
    let store: any VaultStore
    let vaultID: [UInt8]
    let log: AuditLog
    /// How the ciphertext is hashed: the vault format's digest, named in the entry's detail.
    let digest: ChunkDigest.Kind

    struct Written {
        var version: StoredVersion
        var name: String
    }

    func write(
        caseID: String, casePublicKey: [UInt8], document: Int64, version: Int64, kind: String, name: String,
        source: any ChunkSource, by identity: Identity, role: Role?, note: @autoclosure () -> String? = nil,
        progress: ((Int64) -> Void)? = nil
    ) throws(VaultError) -> Written {
        let key = try Sodium.randomSecret(32)
        let commitment = ChunkedCipher.keyCommitment(key)
        var row = StoredVersion(
            vid: -1, caseID: caseID, document: document, version: version, size: 0, chunkCount: 0,
            ciphertextHash: [], keyCommitment: commitment,
            sealedKey: try CaseCrypto.sealVersionKey(key, name: name, to: casePublicKey), entrySeq: -1)
        row.vid = try store.insertVersion(row)

        let sealed = try ChunkPipeline.seal(
            source, key: key,
            binding: CaseCrypto.chunkBinding(vaultID: vaultID, caseID: caseID, document: document, version: version),
            digest: digest,
            store: { (index, data) throws(VaultError) in
                try store.insertChunk(vid: row.vid, index: index, data: data)
            },
            progress: progress)
        row.size = sealed.size
        row.chunkCount = sealed.chunks
        row.ciphertextHash = sealed.ciphertextHash
        let entry = try log.append(
            by: identity, role: role, action: AuditAction.addDocument, result: .granted,
            AuditLog.Subject(
                caseID: caseID, document: document, version: version, dataHash: row.ciphertextHash,
                keyHash: commitment,
                detail: "kind=\(kind) size=\(row.size) chunks=\(row.chunkCount)"
                    + (digest.detailName.map { " hash=" + $0 } ?? "") + (note().map { " " + $0 } ?? "")))
        row.entrySeq = entry.seq
        try store.finishVersion(
            vid: row.vid, size: row.size, chunkCount: row.chunkCount, ciphertextHash: row.ciphertextHash,
            entrySeq: entry.seq)
        return Written(version: row, name: name)
    }
}
