internal import CSQLite

/// One SQLite connection, in GRDB's pattern: the handle belongs to this class, a failed open
/// still closes it, `deinit` closes it. Not `Sendable`: one owner at a time.
final class SQLiteDatabase {
    let handle: OpaquePointer
    let path: String
    /// The file's device and inode while this connection has it open (`OpenVaultFiles`).
    private let file: OpenVaultFiles.FileID?

    init(path: String, create: Bool, readOnly: Bool = false) throws(VaultError) {
        let tuning = try StorageTuning.current.get()
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        // SQLite's own unix VFS; a large transaction's writeback starts as it is written (StorageTuning).
        tuning.prepareVFS()
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            if let db { sqlite3_close_v2(db) }
            throw VaultError(.storage, "cannot open the vault at \(path) (\(Self.describe(rc)))")
        }
        handle = db
        self.path = path
        file = Self.mainFileID(db)
        if let file { OpenVaultFiles.register(file) }
        sqlite3_extended_result_codes(db, 1)
        // Several people may act on one vault at once: wait for a writer instead of failing.
        sqlite3_busy_timeout(db, 15_000)
    }

    deinit {
        sqlite3_close_v2(handle)
        if let file { OpenVaultFiles.release(file) }
    }

    /// The main database file's device and inode, from SQLite's own descriptor's point of view:
    /// `stat` of the path SQLite opened (it was just opened with O_NOFOLLOW, so the name is the
    /// file, unless it was replaced this instant; then the registry holds the replacement, which
    /// fails safe: the file layer refuses one more path).
    private static func mainFileID(_ db: OpaquePointer) -> OpenVaultFiles.FileID? {
        guard let name = sqlite3_db_filename(db, "main"), name.pointee != 0 else { return nil }
        return OpenVaultFiles.id(path: String(cString: name))
    }

    /// The whole file as it lies on disk, read through SQLite's own descriptor (xRead of the
    /// main database file) inside a read transaction, so the bytes are one consistent state and
    /// no other descriptor of the vault is opened or closed (see `OpenVaultFiles`). For the demo's
    /// "what a finder of the file sees".
    func rawFileBytes() throws(VaultError) -> [UInt8] {
        try execute("BEGIN")
        defer { try? execute("COMMIT") }
        _ = try firstRow("SELECT count(*) FROM sqlite_master")  // takes the shared lock
        var pointer: UnsafeMutableRawPointer?
        let rc = sqlite3_file_control(handle, "main", SQLITE_FCNTL_FILE_POINTER, &pointer)
        guard rc == SQLITE_OK, let file = pointer?.assumingMemoryBound(to: sqlite3_file.self),
            let methods = file.pointee.pMethods
        else { throw error(rc == SQLITE_OK ? SQLITE_ERROR : rc) }
        var size: sqlite3_int64 = 0
        let sized = methods.pointee.xFileSize(file, &size)
        guard sized == SQLITE_OK, size >= 0, size <= Int.max else { throw error(sized) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < bytes.count {
            let n = Int32(min(1 << 20, bytes.count - offset))
            let got = bytes.withUnsafeMutableBytes {
                methods.pointee.xRead(file, $0.baseAddress! + offset, n, Int64(offset))
            }
            guard got == SQLITE_OK else { throw error(got) }
            offset += Int(n)
        }
        return bytes
    }

    func execute(_ sql: String) throws(VaultError) {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        let text = errmsg.map { String(cString: $0) }
        sqlite3_free(errmsg)
        if rc != SQLITE_OK { throw error(rc, detail: text) }
    }

    func prepare(_ sql: String) throws(VaultError) -> SQLiteStatement {
        try SQLiteStatement(database: self, sql: sql)
    }

    /// Runs one statement with arguments, discarding rows.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws(VaultError) {
        let s = try prepare(sql)
        try s.bind(values)
        while try s.step() {}
    }

    /// The first row's values, or nil.
    func firstRow(_ sql: String, _ values: [SQLiteValue] = []) throws(VaultError) -> SQLiteRow? {
        let s = try prepare(sql)
        try s.bind(values)
        return try s.step() ? s.row() : nil
    }

    func rows(_ sql: String, _ values: [SQLiteValue] = []) throws(VaultError) -> [SQLiteRow] {
        let s = try prepare(sql)
        try s.bind(values)
        var out: [SQLiteRow] = []
        while try s.step() { out.append(s.row()) }
        return out
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The one place SQLite result codes become `VaultError`s (as GRDB's
    /// `DatabaseError(resultCode:)`). Statement arguments never appear in the message.
    func error(_ rc: Int32, detail: String? = nil) -> VaultError {
        let primary = rc & 0xff
        let text = detail ?? String(cString: sqlite3_errmsg(handle))
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return VaultError(
                .busy, "the vault is busy: another user held it too long",
                hints: ["try again in a moment"])
        case SQLITE_FULL:
            return VaultError(.io, "the disk is full: nothing was changed")
        case SQLITE_READONLY:
            return VaultError(.io, "the vault is read-only here: nothing was changed")
        case SQLITE_IOERR, SQLITE_CANTOPEN:
            return VaultError(.io, "the vault could not be written or read (\(Self.describe(rc))): nothing was changed")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return VaultError(.corrupt, "the vault file is damaged or not a vault (\(Self.describe(rc)))")
        case SQLITE_CONSTRAINT:
            return VaultError(.storage, "the vault refused a change: \(text)")
        default:
            return VaultError(.storage, "storage error: \(text)")
        }
    }

    static func describe(_ rc: Int32) -> String {
        String(cString: sqlite3_errstr(rc))
    }
}

@available(*, unavailable)
extension SQLiteDatabase: Sendable {}

extension SQLiteDatabase {
    /// Copies the whole database into a new file with SQLite's online backup API: a consistent
    /// snapshot, taken page by page while other connections keep working (it restarts by
    /// itself if a writer changes the source meanwhile). The copy is fsynced before returning.
    func backup(to path: String) throws(VaultError) {
        let destination = try SQLiteDatabase(path: path, create: true)
        guard let b = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw destination.error(sqlite3_errcode(destination.handle))
        }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(b, 256)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(b)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else { throw destination.error(rc == SQLITE_DONE ? finish : rc) }
        try destination.execute("PRAGMA journal_mode = DELETE")
    }
}

extension SQLiteDatabase {
    /// One open incremental-blob handle on a column, moved from row to row (`sqlite3_blob_reopen`):
    /// reads copy straight from SQLite's pages into the caller's memory, where a column read of a
    /// blob spanning several pages would first assemble it in memory of SQLite's own.
    final class BlobReader {
        private let database: SQLiteDatabase
        private let table: String
        private let column: String
        private var blob: OpaquePointer?

        init(_ database: SQLiteDatabase, table: String, column: String) {
            self.database = database
            self.table = table
            self.column = column
        }

        deinit { if let blob { sqlite3_blob_close(blob) } }

        /// Reads the whole value in row `rowid` into `destination`, which must hold exactly its length.
        func read(rowid: Int64, into destination: UnsafeMutableRawBufferPointer) throws(VaultError) {
            if let blob {
                let rc = sqlite3_blob_reopen(blob, rowid)
                guard rc == SQLITE_OK else { throw database.error(rc) }
            } else {
                var opened: OpaquePointer?
                let rc = sqlite3_blob_open(database.handle, "main", table, column, rowid, 0, &opened)
                guard rc == SQLITE_OK, let opened else {
                    if let opened { sqlite3_blob_close(opened) }
                    throw database.error(rc)
                }
                blob = opened
            }
            guard let blob, Int(sqlite3_blob_bytes(blob)) == destination.count else {
                throw VaultError(.corrupt, "a stored chunk is damaged: it is not the length its row says")
            }
            guard let base = destination.baseAddress, destination.count > 0 else { return }
            let rc = sqlite3_blob_read(blob, base, Int32(destination.count), 0)
            guard rc == SQLITE_OK else { throw database.error(rc) }
        }
    }
}
