/// Encrypts one document version into the store, chunk by chunk, inside the caller's write
/// transaction, and appends the signed entry that records its ciphertext hash and key
/// commitment. Memory stays at two plaintext chunks whatever the file's size.
struct DocumentWriter {
    let store: any VaultStore
    let vaultID: [UInt8]
    let log: AuditLog

    enum Source {
        case file(ChunkReader)
        case bytes([UInt8])
    }

    struct Written {
        var version: StoredVersion
        var name: String
    }

    func write(
        caseID: String, casePublicKey: [UInt8], document: Int64, version: Int64, kind: String, name: String,
        source: Source, by identity: Identity, role: Role?, progress: ((Int64) -> Void)? = nil
    ) throws(VaultError) -> Written {
        let key = try Sodium.randomSecret(32)
        let commitment = ChunkedCipher.keyCommitment(key)
        var row = StoredVersion(
            vid: -1, caseID: caseID, document: document, version: version, size: 0, chunkCount: 0,
            ciphertextHash: [], keyCommitment: commitment,
            sealedKey: try CaseCrypto.sealVersionKey(key, name: name, to: casePublicKey), entrySeq: -1)
        row.vid = try store.insertVersion(row)

        let sealer = ChunkSealer(
            key: key,
            binding: CaseCrypto.chunkBinding(vaultID: vaultID, caseID: caseID, document: document, version: version))
        let sealChunk = { (chunk: UnsafeRawBufferPointer, final: Bool) throws(VaultError) -> Void in
            let index = Int64(sealer.index)
            let sealed = sealer.seal(chunk, final: final)
            try sealed.withBytes { (p) throws(VaultError) in try store.insertChunk(vid: row.vid, index: index, data: p) }
            progress?(Int64(sealer.plaintextBytes))
        }
        switch source {
        case .bytes(let bytes):
            try bytes.withBytes { (all) throws(VaultError) in
                var offset = 0
                repeat {
                    let n = min(ChunkedCipher.chunkSize, all.count - offset)
                    let final = offset + n == all.count
                    try sealChunk(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]), final)
                    offset += n
                } while offset < all.count
            }
        case .file(let reader):
            try Self.stream(reader, into: sealChunk)
        }

        row.size = Int64(sealer.plaintextBytes)
        row.chunkCount = Int64(sealer.index)
        row.ciphertextHash = sealer.ciphertextHash()
        let entry = try log.append(
            by: identity, role: role, action: AuditAction.addDocument, result: .granted,
            AuditLog.Subject(
                caseID: caseID, document: document, version: version, dataHash: row.ciphertextHash,
                keyHash: commitment, detail: "kind=\(kind) size=\(row.size) chunks=\(row.chunkCount)"))
        row.entrySeq = entry.seq
        try store.finishVersion(
            vid: row.vid, size: row.size, chunkCount: row.chunkCount, ciphertextHash: row.ciphertextHash,
            entrySeq: entry.seq)
        return Written(version: row, name: name)
    }

    /// Reads the file a chunk ahead, so that the last chunk — and only it — is sealed as final.
    private static func stream(
        _ reader: ChunkReader, into seal: (UnsafeRawBufferPointer, Bool) throws(VaultError) -> Void
    ) throws(VaultError) {
        let size = ChunkedCipher.chunkSize
        // Plaintext buffers live in guarded memory and are wiped when freed.
        let a = try SecureBytes(count: size)
        let b = try SecureBytes(count: size)
        var current = a
        var next = b
        var count = try current.withUnsafeMutableBytes { (p) throws(VaultError) in try reader.fill(p) }
        while true {
            if count < size {
                try current.withUnsafeBytes { (p) throws(VaultError) in
                    try seal(UnsafeRawBufferPointer(rebasing: p[0..<count]), true)
                }
                return
            }
            let nextCount = try next.withUnsafeMutableBytes { (p) throws(VaultError) in try reader.fill(p) }
            try current.withUnsafeBytes { (p) throws(VaultError) in try seal(p, nextCount == 0) }
            if nextCount == 0 { return }
            swap(&current, &next)
            count = nextCount
        }
    }
}
