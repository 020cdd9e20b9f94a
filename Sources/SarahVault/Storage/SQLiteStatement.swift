internal import CSQLite

/// A value bound to or read from SQLite.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    var int: Int64? { if case .integer(let v) = self { return v } else { return nil } }
    var string: String? { if case .text(let v) = self { return v } else { return nil } }
    var bytes: [UInt8]? {
        switch self {
        case .blob(let v): return v
        case .null: return nil
        case .text(let t): return Array(t.utf8)
        case .integer: return nil
        }
    }
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    init(stringLiteral value: String) { self = .text(value) }
    init(integerLiteral value: Int64) { self = .integer(value) }
}

typealias SQLiteRow = [SQLiteValue]

/// A prepared statement, finalised in `deinit`.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private unowned let database: SQLiteDatabase

    init(database: SQLiteDatabase, sql: String) throws(VaultError) {
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v2(database.handle, sql, -1, &s, nil)
        guard rc == SQLITE_OK, let s else {
            if let s { sqlite3_finalize(s) }
            throw database.error(rc)
        }
        statement = s
        self.database = database
    }

    deinit { sqlite3_finalize(statement) }

    func bind(_ values: [SQLiteValue]) throws(VaultError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .text(let t): rc = sqlite3_bind_text(statement, index, t, -1, sarahvault_sqlite_transient())
            case .blob(let b):
                rc = b.withUnsafeBytes { p in
                    sqlite3_bind_blob64(
                        statement, index, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(p.count),
                        sarahvault_sqlite_transient())
                }
            }
            guard rc == SQLITE_OK else { throw database.error(rc) }
        }
    }

    /// Binds a blob without copying it; the memory must stay valid until the next step/reset.
    func bindBlobNoCopy(_ index: Int32, _ p: UnsafeRawBufferPointer) throws(VaultError) {
        let rc = sqlite3_bind_blob64(
            statement, index, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(p.count), nil)
        guard rc == SQLITE_OK else { throw database.error(rc) }
    }

    func bindInt(_ index: Int32, _ v: Int64) throws(VaultError) {
        let rc = sqlite3_bind_int64(statement, index, v)
        guard rc == SQLITE_OK else { throw database.error(rc) }
    }

    func reset() { sqlite3_reset(statement) }

    /// Steps once: true when a row is ready.
    func step() throws(VaultError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(statement)
            throw database.error(rc)
        }
    }

    func row() -> SQLiteRow {
        (0..<sqlite3_column_count(statement)).map(value(at:))
    }

    func value(at column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(statement, column))
            guard n > 0, let p = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob([UInt8](UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }

    /// A blob column without copying, valid only inside `body`.
    func withBlob<R>(
        at column: Int32, _ body: (UnsafeRawBufferPointer) throws(VaultError) -> R
    ) throws(VaultError) -> R {
        let n = Int(sqlite3_column_bytes(statement, column))
        let p = sqlite3_column_blob(statement, column)
        return try body(UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n))
    }
}

@available(*, unavailable)
extension SQLiteStatement: Sendable {}
