internal import CSQLite
import Foundation

/// The embedded store: one SQLite file with a rollback journal and `synchronous=FULL`, so a committed
/// transaction (and with it its audit entry) survives a crash or power loss.
final class SQLiteStore: VaultStore {
    static let schemaVersion: Int64 = 1
    private let db: SQLiteDatabase
    private var inTransaction = false

    /// Opens an existing vault, or creates one when `create` is set (and the file is absent).
    init(path: String, create: Bool) throws(VaultError) {
        if create {
            // Private from the first byte: the file is made here, mode 0600, exclusively, before
            // SQLite opens it (SQLite gives its journal the same mode). No connection can have a
            // file open that did not exist, so this descriptor's close drops no one's locks.
            try Self.createPrivateFile(
                path, exists: "a vault already exists at \(path)", hint: "choose another --vault path")
        } else if !FileManager.default.fileExists(atPath: path) {
            throw VaultError(
                .notFound, "no vault at \(path)",
                hints: ["create one with 'sarah-vault init', or point --vault / SARAH_VAULT at it"])
        }
        do throws(VaultError) {
            db = try SQLiteDatabase(path: path, create: create)
            if create { try db.execute("PRAGMA page_size = \(try StorageTuning.current.get().pageSize)") }
        } catch {
            if create { unlink(path) }
            throw error
        }
        // A rollback journal, not WAL: a large archive is written once instead of twice (WAL
        // writes every page to the log and again at checkpoint), which halves the cost of a
        // 1 GiB document. Readers still run beside a writer until it commits.
        try db.execute("PRAGMA journal_mode = DELETE")
        try db.execute("PRAGMA synchronous = FULL")
        try db.execute("PRAGMA foreign_keys = ON")
        // The durability argument (docs/FORMAT.md, SECURITY.md) needs both: checked, not assumed.
        guard try db.firstRow("PRAGMA journal_mode")?.first?.string == "delete",
            try db.firstRow("PRAGMA synchronous")?.first?.int == 2
        else {
            throw VaultError(.storage, "the vault's connection is not in rollback-journal mode with synchronous=FULL")
        }
        if create {
            try createSchema()
        } else {
            try checkSchema()
        }
    }

    private func createSchema() throws(VaultError) {
        try writeTransaction { () throws(VaultError) in
            try db.execute(
                """
                CREATE TABLE meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE members(
                    key_id TEXT PRIMARY KEY, role TEXT NOT NULL, box_pk BLOB NOT NULL, sign_pk BLOB NOT NULL,
                    profile BLOB NOT NULL, roster_key BLOB NOT NULL, entry_seq INTEGER NOT NULL, removed_seq INTEGER);
                CREATE TABLE cases(
                    case_id TEXT PRIMARY KEY, received TEXT NOT NULL, status TEXT NOT NULL, epoch INTEGER NOT NULL,
                    public_key BLOB NOT NULL, key_seq INTEGER NOT NULL, created_seq INTEGER NOT NULL);
                CREATE TABLE case_keys(
                    case_id TEXT NOT NULL REFERENCES cases(case_id), key_id TEXT NOT NULL, epoch INTEGER NOT NULL,
                    sealed BLOB NOT NULL, PRIMARY KEY(case_id, key_id));
                CREATE TABLE documents(
                    case_id TEXT NOT NULL REFERENCES cases(case_id), doc INTEGER NOT NULL, kind TEXT NOT NULL,
                    PRIMARY KEY(case_id, doc));
                CREATE TABLE versions(
                    vid INTEGER PRIMARY KEY, case_id TEXT NOT NULL, doc INTEGER NOT NULL, version INTEGER NOT NULL,
                    size INTEGER NOT NULL, chunks INTEGER NOT NULL, ciphertext_hash BLOB NOT NULL,
                    key_commit BLOB NOT NULL, sealed_key BLOB NOT NULL, entry_seq INTEGER NOT NULL,
                    UNIQUE(case_id, doc, version), FOREIGN KEY(case_id, doc) REFERENCES documents(case_id, doc));
                CREATE TABLE chunks(
                    vid INTEGER NOT NULL REFERENCES versions(vid), idx INTEGER NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY(vid, idx));
                CREATE TABLE board_keys(key_id TEXT PRIMARY KEY, sealed BLOB NOT NULL);
                CREATE TABLE summaries(
                    case_id TEXT NOT NULL REFERENCES cases(case_id), version INTEGER NOT NULL, sealed_key BLOB NOT NULL,
                    body BLOB NOT NULL, entry_seq INTEGER NOT NULL, PRIMARY KEY(case_id, version));
                CREATE TABLE checkouts(
                    id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(case_id), holder TEXT NOT NULL,
                    issued INTEGER NOT NULL, expires INTEGER NOT NULL, documents INTEGER NOT NULL, status TEXT NOT NULL,
                    issue_seq INTEGER NOT NULL, close_seq INTEGER);
                CREATE TABLE audit(seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
                    WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq)
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                PRAGMA user_version = \(Self.schemaVersion);
                """)
        }
    }

    private func checkSchema() throws(VaultError) {
        let version = try db.firstRow("PRAGMA user_version")?.first?.int ?? 0
        guard version == Self.schemaVersion else {
            throw VaultError(
                .unsupported,
                version == 0
                    ? "\(db.path) is not a SarahVault vault"
                    : "the vault's schema version \(version) is not supported by this sarah-vault")
        }
    }

    // MARK: transactions

    @discardableResult
    func writeTransaction<R>(_ body: () throws(VaultError) -> R) throws(VaultError) -> R {
        precondition(!inTransaction, "nested write transaction")
        return try transaction("BEGIN IMMEDIATE", body)
    }

    func readTransaction<R>(_ body: () throws(VaultError) -> R) throws(VaultError) -> R {
        if inTransaction { return try body() }
        return try transaction("BEGIN DEFERRED", body)
    }

    private func transaction<R>(_ begin: String, _ body: () throws(VaultError) -> R) throws(VaultError) -> R {
        try db.execute(begin)
        inTransaction = true
        defer { inTransaction = false }
        do {
            let result = try body()
            try db.execute("COMMIT")
            return result
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: meta

    func meta(_ name: String) throws(VaultError) -> [UInt8]? {
        try db.firstRow("SELECT value FROM meta WHERE name = ?", [.text(name)])?.first?.bytes
    }

    func setMeta(_ name: String, _ value: [UInt8]) throws(VaultError) {
        try db.run("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", [.text(name), .blob(value)])
    }

    // MARK: members

    func insertMember(_ m: StoredMember) throws(VaultError) {
        try db.run(
            "INSERT INTO members(key_id, role, box_pk, sign_pk, profile, roster_key, entry_seq, removed_seq) VALUES (?,?,?,?,?,?,?,?)",
            [
                .text(m.keyID), .text(m.role), .blob(m.boxPublicKey), .blob(m.signPublicKey), .blob(m.profile),
                .blob(m.sealedRosterKey), .integer(m.entrySeq), m.removedSeq.map { .integer($0) } ?? .null,
            ])
    }

    func members() throws(VaultError) -> [StoredMember] {
        try db.rows(
            "SELECT key_id, role, box_pk, sign_pk, profile, roster_key, entry_seq, removed_seq FROM members ORDER BY entry_seq"
        ).map { r in
            StoredMember(
                keyID: r[0].string ?? "", role: r[1].string ?? "", boxPublicKey: r[2].bytes ?? [],
                signPublicKey: r[3].bytes ?? [], profile: r[4].bytes ?? [], sealedRosterKey: r[5].bytes ?? [],
                entrySeq: r[6].int ?? -1, removedSeq: r[7].int)
        }
    }

    // MARK: cases

    func insertCase(_ c: StoredCase) throws(VaultError) {
        try db.run(
            "INSERT INTO cases(case_id, received, status, epoch, public_key, key_seq, created_seq) VALUES (?,?,?,?,?,?,?)",
            [
                .text(c.id), .text(c.received), .text(c.status), .integer(c.epoch), .blob(c.publicKey),
                .integer(c.keySeq), .integer(c.createdSeq),
            ])
    }

    func updateCaseKey(caseID: String, epoch: Int64, publicKey: [UInt8], keySeq: Int64) throws(VaultError) {
        try db.run(
            "UPDATE cases SET epoch = ?, public_key = ?, key_seq = ? WHERE case_id = ?",
            [.integer(epoch), .blob(publicKey), .integer(keySeq), .text(caseID)])
    }

    func setCaseStatus(caseID: String, status: String) throws(VaultError) {
        try db.run("UPDATE cases SET status = ? WHERE case_id = ?", [.text(status), .text(caseID)])
    }

    private static let caseColumns = "case_id, received, status, epoch, public_key, key_seq, created_seq"

    private static func caseFrom(_ r: SQLiteRow) -> StoredCase {
        StoredCase(
            id: r[0].string ?? "", received: r[1].string ?? "", status: r[2].string ?? "", epoch: r[3].int ?? -1,
            publicKey: r[4].bytes ?? [], keySeq: r[5].int ?? -1, createdSeq: r[6].int ?? -1)
    }

    func caseRecord(_ id: String) throws(VaultError) -> StoredCase? {
        try db.firstRow("SELECT \(Self.caseColumns) FROM cases WHERE case_id = ?", [.text(id)]).map(Self.caseFrom)
    }

    func cases() throws(VaultError) -> [StoredCase] {
        try db.rows("SELECT \(Self.caseColumns) FROM cases ORDER BY created_seq").map(Self.caseFrom)
    }

    // MARK: case keys

    func putCaseKey(caseID: String, keyID: String, epoch: Int64, sealed: [UInt8]) throws(VaultError) {
        try db.run(
            "INSERT OR REPLACE INTO case_keys(case_id, key_id, epoch, sealed) VALUES (?,?,?,?)",
            [.text(caseID), .text(keyID), .integer(epoch), .blob(sealed)])
    }

    func caseKey(caseID: String, keyID: String) throws(VaultError) -> (epoch: Int64, sealed: [UInt8])? {
        guard
            let r = try db.firstRow(
                "SELECT epoch, sealed FROM case_keys WHERE case_id = ? AND key_id = ?", [.text(caseID), .text(keyID)])
        else { return nil }
        return (r[0].int ?? -1, r[1].bytes ?? [])
    }

    func caseKeyHolders(caseID: String) throws(VaultError) -> [String] {
        try db.rows("SELECT key_id FROM case_keys WHERE case_id = ? ORDER BY key_id", [.text(caseID)])
            .compactMap { $0.first?.string }
    }

    func deleteCaseKey(caseID: String, keyID: String) throws(VaultError) {
        try db.run("DELETE FROM case_keys WHERE case_id = ? AND key_id = ?", [.text(caseID), .text(keyID)])
    }

    func deleteCaseKeys(caseID: String) throws(VaultError) {
        try db.run("DELETE FROM case_keys WHERE case_id = ?", [.text(caseID)])
    }

    func cases(heldBy keyID: String) throws(VaultError) -> [String] {
        try db.rows("SELECT case_id FROM case_keys WHERE key_id = ? ORDER BY case_id", [.text(keyID)])
            .compactMap { $0.first?.string }
    }

    func setMemberRemoved(keyID: String, seq: Int64) throws(VaultError) {
        try db.run("UPDATE members SET removed_seq = ? WHERE key_id = ?", [.integer(seq), .text(keyID)])
    }

    // MARK: documents and versions

    func insertDocument(_ d: StoredDocument) throws(VaultError) {
        try db.run(
            "INSERT INTO documents(case_id, doc, kind) VALUES (?,?,?)",
            [.text(d.caseID), .integer(d.number), .text(d.kind)])
    }

    func documents(caseID: String) throws(VaultError) -> [StoredDocument] {
        try db.rows("SELECT case_id, doc, kind FROM documents WHERE case_id = ? ORDER BY doc", [.text(caseID)]).map {
            StoredDocument(caseID: $0[0].string ?? "", number: $0[1].int ?? -1, kind: $0[2].string ?? "")
        }
    }

    func insertVersion(_ v: StoredVersion) throws(VaultError) -> Int64 {
        try db.run(
            """
            INSERT INTO versions(case_id, doc, version, size, chunks, ciphertext_hash, key_commit, sealed_key, entry_seq)
            VALUES (?,?,?,?,?,?,?,?,?)
            """,
            [
                .text(v.caseID), .integer(v.document), .integer(v.version), .integer(v.size), .integer(v.chunkCount),
                .blob(v.ciphertextHash), .blob(v.keyCommitment), .blob(v.sealedKey), .integer(v.entrySeq),
            ])
        return db.lastInsertRowID
    }

    func finishVersion(vid: Int64, size: Int64, chunkCount: Int64, ciphertextHash: [UInt8], entrySeq: Int64)
        throws(VaultError)
    {
        try db.run(
            "UPDATE versions SET size = ?, chunks = ?, ciphertext_hash = ?, entry_seq = ? WHERE vid = ?",
            [.integer(size), .integer(chunkCount), .blob(ciphertextHash), .integer(entrySeq), .integer(vid)])
    }

    func setVersionSealedKey(vid: Int64, sealedKey: [UInt8]) throws(VaultError) {
        try db.run("UPDATE versions SET sealed_key = ? WHERE vid = ?", [.blob(sealedKey), .integer(vid)])
    }

    private static let versionColumns =
        "vid, case_id, doc, version, size, chunks, ciphertext_hash, key_commit, sealed_key, entry_seq"

    private static func versionFrom(_ r: SQLiteRow) -> StoredVersion {
        StoredVersion(
            vid: r[0].int ?? -1, caseID: r[1].string ?? "", document: r[2].int ?? -1, version: r[3].int ?? -1,
            size: r[4].int ?? -1, chunkCount: r[5].int ?? -1, ciphertextHash: r[6].bytes ?? [],
            keyCommitment: r[7].bytes ?? [], sealedKey: r[8].bytes ?? [], entrySeq: r[9].int ?? -1)
    }

    func versions(caseID: String) throws(VaultError) -> [StoredVersion] {
        try db.rows(
            "SELECT \(Self.versionColumns) FROM versions WHERE case_id = ? ORDER BY doc, version", [.text(caseID)]
        ).map(Self.versionFrom)
    }

    func allVersions() throws(VaultError) -> [StoredVersion] {
        try db.rows("SELECT \(Self.versionColumns) FROM versions ORDER BY vid").map(Self.versionFrom)
    }

    private var chunkInsert: SQLiteStatement?

    func insertChunk(vid: Int64, index: Int64, data: UnsafeRawBufferPointer) throws(VaultError) {
        let s: SQLiteStatement
        if let cached = chunkInsert {
            s = cached
        } else {
            s = try db.prepare("INSERT INTO chunks(vid, idx, data) VALUES (?,?,?)")
            chunkInsert = s
        }
        s.reset()
        try s.bindInt(1, vid)
        try s.bindInt(2, index)
        try s.bindBlobNoCopy(3, data)
        _ = try s.step()
        s.reset()
    }

    func forEachChunk(
        vid: Int64, _ body: (_ index: Int64, _ data: UnsafeRawBufferPointer, _ isLast: Bool) throws(VaultError) -> Void
    ) throws(VaultError) {
        try readTransaction { () throws(VaultError) in
            let count = try db.firstRow("SELECT count(*) FROM chunks WHERE vid = ?", [.integer(vid)])?.first?.int ?? 0
            let s = try db.prepare("SELECT idx, data FROM chunks WHERE vid = ? ORDER BY idx")
            try s.bind([.integer(vid)])
            var expected: Int64 = 0
            while try s.step() {
                let idx = s.value(at: 0).int ?? -1
                guard idx == expected else {
                    throw VaultError(.corrupt, "a stored document is missing chunk \(expected)")
                }
                try s.withBlob(at: 1) { (p) throws(VaultError) in try body(idx, p, idx == count - 1) }
                expected += 1
            }
        }
    }

    func forEachChunk(
        vid: Int64,
        copyingInto destination: (_ index: Int64, _ length: Int) throws(VaultError) -> UnsafeMutableRawBufferPointer
    ) throws(VaultError) {
        try readTransaction { () throws(VaultError) in
            // length() of a blob reads its header, not its pages.
            let s = try db.prepare("SELECT idx, rowid, length(data) FROM chunks WHERE vid = ? ORDER BY idx")
            try s.bind([.integer(vid)])
            let reader = SQLiteDatabase.BlobReader(db, table: "chunks", column: "data")
            var expected: Int64 = 0
            while try s.step() {
                let idx = s.value(at: 0).int ?? -1
                guard idx == expected, let rowid = s.value(at: 1).int, let length = s.value(at: 2).int,
                    length >= 0, length <= Int32.max
                else {
                    throw VaultError(.corrupt, "a stored document is missing chunk \(expected)")
                }
                try reader.read(rowid: rowid, into: try destination(idx, Int(length)))
                expected += 1
            }
        }
    }

    // MARK: board summaries

    func putBoardKey(keyID: String, sealed: [UInt8]) throws(VaultError) {
        try db.run("INSERT OR REPLACE INTO board_keys(key_id, sealed) VALUES (?, ?)", [.text(keyID), .blob(sealed)])
    }

    func boardKey(keyID: String) throws(VaultError) -> [UInt8]? {
        try db.firstRow("SELECT sealed FROM board_keys WHERE key_id = ?", [.text(keyID)])?.first?.bytes
    }

    func boardKeyHolders() throws(VaultError) -> [String] {
        try db.rows("SELECT key_id FROM board_keys ORDER BY key_id").compactMap { $0.first?.string }
    }

    func deleteBoardKeys() throws(VaultError) {
        try db.run("DELETE FROM board_keys")
    }

    func setSummarySealedKey(caseID: String, version: Int64, sealed: [UInt8]) throws(VaultError) {
        try db.run(
            "UPDATE summaries SET sealed_key = ? WHERE case_id = ? AND version = ?",
            [.blob(sealed), .text(caseID), .integer(version)])
    }

    func insertSummary(_ s: StoredSummary) throws(VaultError) {
        try db.run(
            "INSERT INTO summaries(case_id, version, sealed_key, body, entry_seq) VALUES (?,?,?,?,?)",
            [.text(s.caseID), .integer(s.version), .blob(s.sealedKey), .blob(s.body), .integer(s.entrySeq)])
    }

    func summaries() throws(VaultError) -> [StoredSummary] {
        try db.rows("SELECT case_id, version, sealed_key, body, entry_seq FROM summaries ORDER BY case_id, version").map
        {
            StoredSummary(
                caseID: $0[0].string ?? "", version: $0[1].int ?? -1, sealedKey: $0[2].bytes ?? [],
                body: $0[3].bytes ?? [], entrySeq: $0[4].int ?? -1)
        }
    }

    // MARK: checkouts

    func insertCheckout(_ c: StoredCheckout) throws(VaultError) {
        try db.run(
            "INSERT INTO checkouts(id, case_id, holder, issued, expires, documents, status, issue_seq, close_seq) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                .text(c.id), .text(c.caseID), .text(c.holder), .integer(c.issued), .integer(c.expires),
                .integer(c.documents), .text(c.status), .integer(c.issueSeq), c.closeSeq.map { .integer($0) } ?? .null,
            ])
    }

    func closeCheckout(id: String, status: String, seq: Int64) throws(VaultError) {
        try db.run(
            "UPDATE checkouts SET status = ?, close_seq = ? WHERE id = ?", [.text(status), .integer(seq), .text(id)])
    }

    func checkouts() throws(VaultError) -> [StoredCheckout] {
        try db.rows(
            "SELECT id, case_id, holder, issued, expires, documents, status, issue_seq, close_seq FROM checkouts ORDER BY issue_seq"
        ).map {
            StoredCheckout(
                id: $0[0].string ?? "", caseID: $0[1].string ?? "", holder: $0[2].string ?? "", issued: $0[3].int ?? 0,
                expires: $0[4].int ?? 0, documents: $0[5].int ?? 0, status: $0[6].string ?? "",
                issueSeq: $0[7].int ?? -1,
                closeSeq: $0[8].int)
        }
    }

    // MARK: audit

    func appendAuditEntry(seq: Int64, bytes: [UInt8]) throws(VaultError) {
        try db.run("INSERT INTO audit(seq, entry) VALUES (?, ?)", [.integer(seq), .blob(bytes)])
    }

    func lastAuditEntry() throws(VaultError) -> (seq: Int64, bytes: [UInt8])? {
        guard let r = try db.firstRow("SELECT seq, entry FROM audit ORDER BY seq DESC LIMIT 1") else { return nil }
        return (r[0].int ?? -1, r[1].bytes ?? [])
    }

    func auditEntry(seq: Int64) throws(VaultError) -> [UInt8]? {
        try db.firstRow("SELECT entry FROM audit WHERE seq = ?", [.integer(seq)])?.first?.bytes
    }

    func forEachAuditEntry(from seq: Int64, _ body: (_ seq: Int64, _ bytes: [UInt8]) throws(VaultError) -> Void)
        throws(VaultError)
    {
        try readTransaction { () throws(VaultError) in
            let s = try db.prepare("SELECT seq, entry FROM audit WHERE seq >= ? ORDER BY rowid")
            try s.bind([.integer(seq)])
            while try s.step() {
                try body(s.value(at: 0).int ?? -1, s.value(at: 1).bytes ?? [])
            }
        }
    }

    func auditCount() throws(VaultError) -> Int64 {
        try db.firstRow("SELECT count(*) FROM audit")?.first?.int ?? 0
    }

    // MARK: connection limits

    /// Narrows what this connection may do, for operations that must not write (`queryOnly`:
    /// SQLite's `query_only`, every write then fails as on a read-only file), for callers that
    /// would rather fail fast than wait for another writer (`busyTimeoutMillis`, default 15 s),
    /// and to cap the file's growth (`maxPageCount`: a write needing more pages fails as on a
    /// full disk). The audit layer's fail-closed tests force each failure with these.
    func limitConnection(busyTimeoutMillis: Int? = nil, maxPageCount: Int64? = nil, queryOnly: Bool? = nil)
        throws(VaultError)
    {
        if let busyTimeoutMillis { try db.execute("PRAGMA busy_timeout = \(max(0, busyTimeoutMillis))") }
        if let maxPageCount { try db.execute("PRAGMA max_page_count = \(max(1, maxPageCount))") }
        if let queryOnly { try db.execute("PRAGMA query_only = \(queryOnly ? 1 : 0)") }
    }

    /// The file's size in pages.
    func pageCount() throws(VaultError) -> Int64 {
        try db.firstRow("PRAGMA page_count")?.first?.int ?? 0
    }
}

extension SQLiteStore {
    func backup(to path: String) throws(VaultError) {
        try Self.createPrivateFile(path, exists: "\(path) already exists: refusing to overwrite it", hint: nil)
        do throws(VaultError) {
            try db.backup(to: path)
        } catch {
            unlink(path)
            unlink(path + "-journal")
            throw error
        }
    }

    /// Makes an empty file at `path`, mode 0600 from its first byte, failing if anything (a
    /// file, a symbolic link) is already there; SQLite then opens it as a new, empty database.
    private static func createPrivateFile(_ path: String, exists: String, hint: String?) throws(VaultError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw VaultError(.alreadyExists, exists, hints: hint.map { [$0] } ?? []) }
            throw VaultError(.io, "cannot create \(path): \(String(cString: strerror(code)))")
        }
        // The umask may narrow 0600 further; nothing widens it.
        close(fd)
    }
}

@available(*, unavailable)
extension SQLiteStore: Sendable {}
