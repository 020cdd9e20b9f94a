/// Decrypts one stored version as a stream. Before the first chunk it checks that the version
/// key it unsealed is the one the writer committed to, so a substituted key (sealed to the
/// case's public key by someone who could not read the case) is refused; every chunk is then
/// authenticated by XChaCha20-Poly1305 under that key, and the stream must end with its final
/// chunk.
struct DocumentReader {
    let store: any VaultStore
    let vaultID: [UInt8]

    struct Opened {
        let key: SecureBytes
        let name: String
    }

    func openKey(_ v: StoredVersion, caseKey: BoxKeyPair) throws(VaultError) -> Opened {
        let (key, name) = try CaseCrypto.openVersionKey(v.sealedKey, with: caseKey)
        guard Sodium.constantTimeEqual(ChunkedCipher.keyCommitment(key), v.keyCommitment) else {
            throw VaultError(
                .authenticationFailed,
                "document \(v.document) version \(v.version) of case \(v.caseID): its key is not the one it was written with"
            )
        }
        return Opened(key: key, name: name)
    }

    func read(
        _ v: StoredVersion, caseKey: BoxKeyPair, _ body: (UnsafeRawBufferPointer) throws(VaultError) -> Void
    ) throws(VaultError) {
        try read(v, opened: try openKey(v, caseKey: caseKey), body)
    }

    func read(
        _ v: StoredVersion, opened: Opened, _ body: (UnsafeRawBufferPointer) throws(VaultError) -> Void
    ) throws(VaultError) {
        try ChunkPipeline.open(
            key: opened.key,
            binding: CaseCrypto.chunkBinding(
                vaultID: vaultID, caseID: v.caseID, document: v.document, version: v.version),
            what: "document \(v.document) version \(v.version) of case \(v.caseID)",
            chunks: StoredVersionChunks(store: store, vid: v.vid),
            output: body)
    }
}
