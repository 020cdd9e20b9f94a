/// The storage seam: everything the domain asks of a database, in the domain's words.
///
/// `SQLiteStore` is the embedded default; a PostgreSQL store implements the same protocol for
/// shared deployments, and both run the same tests. Implementations are owned by one `Vault`
/// at a time and are not `Sendable`.
protocol VaultStore: AnyObject {
    /// Runs `body` in one write transaction that takes the write lock at once (SQLite's
    /// `BEGIN IMMEDIATE`), so that the audit sequence read inside it cannot be raced.
    /// Commits durably when `body` returns; rolls back when it throws.
    @discardableResult
    func writeTransaction<R>(_ body: () throws(VaultError) -> R) throws(VaultError) -> R
    /// A consistent read snapshot.
    func readTransaction<R>(_ body: () throws(VaultError) -> R) throws(VaultError) -> R

    func meta(_ name: String) throws(VaultError) -> [UInt8]?
    func setMeta(_ name: String, _ value: [UInt8]) throws(VaultError)

    func insertMember(_ member: StoredMember) throws(VaultError)
    func members() throws(VaultError) -> [StoredMember]

    func insertCase(_ c: StoredCase) throws(VaultError)
    func updateCaseKey(caseID: String, epoch: Int64, publicKey: [UInt8], keySeq: Int64) throws(VaultError)
    func setCaseStatus(caseID: String, status: String) throws(VaultError)
    func caseRecord(_ id: String) throws(VaultError) -> StoredCase?
    func cases() throws(VaultError) -> [StoredCase]

    func putCaseKey(caseID: String, keyID: String, epoch: Int64, sealed: [UInt8]) throws(VaultError)
    func caseKey(caseID: String, keyID: String) throws(VaultError) -> (epoch: Int64, sealed: [UInt8])?
    func caseKeyHolders(caseID: String) throws(VaultError) -> [String]
    func deleteCaseKey(caseID: String, keyID: String) throws(VaultError)
    func deleteCaseKeys(caseID: String) throws(VaultError)
    /// Cases whose key `keyID` holds.
    func cases(heldBy keyID: String) throws(VaultError) -> [String]
    func setMemberRemoved(keyID: String, seq: Int64) throws(VaultError)

    func insertDocument(_ d: StoredDocument) throws(VaultError)
    func documents(caseID: String) throws(VaultError) -> [StoredDocument]

    /// Inserts the version row and returns its `vid`; chunks are added with `insertChunk`.
    func insertVersion(_ v: StoredVersion) throws(VaultError) -> Int64
    func finishVersion(vid: Int64, size: Int64, chunkCount: Int64, ciphertextHash: [UInt8], entrySeq: Int64)
        throws(VaultError)
    func setVersionSealedKey(vid: Int64, sealedKey: [UInt8]) throws(VaultError)
    func versions(caseID: String) throws(VaultError) -> [StoredVersion]
    func allVersions() throws(VaultError) -> [StoredVersion]
    func insertChunk(vid: Int64, index: Int64, data: UnsafeRawBufferPointer) throws(VaultError)
    /// Hands each stored chunk of `vid` to `body` in index order, with whether it is the last
    /// one stored. Fails if the stored indices are not 0, 1, 2, …
    func forEachChunk(
        vid: Int64, _ body: (_ index: Int64, _ data: UnsafeRawBufferPointer, _ isLast: Bool) throws(VaultError) -> Void
    ) throws(VaultError)
    /// The same chunks, each copied straight from storage into the memory `destination` returns
    /// for its index and length (exactly that long); a chunk is in place when `destination` is
    /// next called, or when this returns. One copy and no allocation per chunk: `audit verify`
    /// digests gigabytes this way.
    func forEachChunk(
        vid: Int64,
        copyingInto destination: (_ index: Int64, _ length: Int) throws(VaultError) -> UnsafeMutableRawBufferPointer
    ) throws(VaultError)

    func putBoardKey(keyID: String, sealed: [UInt8]) throws(VaultError)
    func boardKey(keyID: String) throws(VaultError) -> [UInt8]?
    func boardKeyHolders() throws(VaultError) -> [String]
    func deleteBoardKeys() throws(VaultError)
    func setSummarySealedKey(caseID: String, version: Int64, sealed: [UInt8]) throws(VaultError)
    func insertSummary(_ s: StoredSummary) throws(VaultError)
    func summaries() throws(VaultError) -> [StoredSummary]

    func insertCheckout(_ c: StoredCheckout) throws(VaultError)
    func closeCheckout(id: String, status: String, seq: Int64) throws(VaultError)
    func checkouts() throws(VaultError) -> [StoredCheckout]

    func appendAuditEntry(seq: Int64, bytes: [UInt8]) throws(VaultError)
    /// The newest entry's sequence and bytes.
    func lastAuditEntry() throws(VaultError) -> (seq: Int64, bytes: [UInt8])?
    func auditEntry(seq: Int64) throws(VaultError) -> [UInt8]?
    /// Every stored entry from `seq` on, in stored order (not trusted: verification checks it).
    func forEachAuditEntry(from seq: Int64, _ body: (_ seq: Int64, _ bytes: [UInt8]) throws(VaultError) -> Void)
        throws(VaultError)
    func auditCount() throws(VaultError) -> Int64

    /// A consistent copy of the whole store in a new file.
    func backup(to path: String) throws(VaultError)
}
