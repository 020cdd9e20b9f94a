import Foundation
import Testing

@testable import SarahVault

/// CSQLiteVFS holds the pages a transaction appends and writes them in runs. It must leave
/// exactly the file SQLite's own VFS leaves, and lose nothing to a read, an overwrite, a
/// rollback or another connection in the middle of a transaction.
@Suite struct CoalescingVFSTests {
    /// Appends (a 64 KiB blob is four overflow pages), reads of rows just written, overwrites of
    /// existing pages amid the appends, a rolled-back transaction, and a shrink.
    static func workload(_ db: SQLiteDatabase) throws {
        try db.execute("PRAGMA page_size = 16384")
        try db.execute("PRAGMA journal_mode = DELETE")
        try db.execute("PRAGMA synchronous = FULL")
        db.setCoalescing(true)
        try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        try db.execute("BEGIN IMMEDIATE")
        for i in 0..<120 {
            try db.run("INSERT INTO t VALUES (?, ?)", [.integer(Int64(i)), .blob(blob(i, 65552))])
            if i % 25 == 24 {
                // A row written moments ago, read back while its pages may still be held.
                let back = try db.firstRow("SELECT data FROM t WHERE id = ?", [.integer(Int64(i - 3))])
                #expect(back?.first?.bytes == blob(i - 3, 65552))
                // An existing page overwritten between appends.
                try db.run("UPDATE t SET data = ? WHERE id = ?", [.blob(blob(1000 + i, 300)), .integer(Int64(i / 2))])
            }
        }
        try db.execute("COMMIT")
        try db.execute("BEGIN IMMEDIATE")
        for i in 120..<200 { try db.run("INSERT INTO t VALUES (?, ?)", [.integer(Int64(i)), .blob(blob(i, 65552))]) }
        try db.execute("ROLLBACK")
        try db.execute("BEGIN IMMEDIATE")
        try db.run("DELETE FROM t WHERE id >= 100")
        try db.execute("COMMIT")
        try db.execute("VACUUM")
    }

    static func blob(_ seed: Int, _ count: Int) -> [UInt8] {
        var x = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    @Test func theFileIsByteForByteWhatSQLitesOwnVFSWrites() throws {
        try withTemporaryDirectory { dir in
            for (name, coalescing) in [("own.db", false), ("coalesced.db", true)] {
                let db = try SQLiteDatabase(path: dir.path(name), create: true, coalescing: coalescing)
                try Self.workload(db)
            }
            let own = try readBytes(dir.path("own.db"))
            #expect(own.count > 90 * 65536)
            #expect(try readBytes(dir.path("coalesced.db")) == own)
        }
    }

    /// A rollback journal gives the writer an exclusive lock once it spills pages, so no other
    /// connection reads in the middle of a large transaction; after it, every page must be there.
    @Test func anotherConnectionSeesEveryCommittedRow() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("v.db")
            let writer = try SQLiteDatabase(path: path, create: true)
            try writer.execute("PRAGMA page_size = 16384; CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            #expect(writer.setCoalescing(true))
            let reader = try SQLiteDatabase(path: path, create: false)
            for round in 0..<3 {
                try writer.execute("BEGIN IMMEDIATE")
                for i in 0..<40 {
                    let id = Int64(round * 40 + i)
                    try writer.run("INSERT INTO t VALUES (?, ?)", [.integer(id), .blob(Self.blob(Int(id), 65552))])
                }
                try writer.execute("COMMIT")
                let rows = try reader.rows("SELECT id, data FROM t ORDER BY id")
                #expect(rows.count == (round + 1) * 40)
                #expect(rows.allSatisfy { $0[1].bytes == Self.blob(Int($0[0].int ?? -1), 65552) })
            }
            #expect(try reader.firstRow("PRAGMA integrity_check")?.first?.string == "ok")
        }
    }

    /// Its crash argument needs a rollback journal and synchronous=FULL: it holds nothing back
    /// until the owner has vouched for both, stops when either is changed, and refuses WAL.
    @Test func itCoalescesOnlyWithARollbackJournalAndFullSync() throws {
        try withTemporaryDirectory { dir in
            let db = try SQLiteDatabase(path: dir.path("v.db"), create: true, coalescing: true)
            #expect(db.setCoalescing(nil) == false, "coalescing before anyone checked the settings")
            #expect(db.setCoalescing(true))
            for pragma in ["synchronous = NORMAL", "synchronous = OFF", "journal_mode = MEMORY", "journal_mode = OFF"] {
                #expect(db.setCoalescing(true))
                try db.execute("PRAGMA \(pragma)")
                #expect(db.setCoalescing(nil) == false, "still coalescing after PRAGMA \(pragma)")
            }
            // WAL needs a -wal file, which the VFS will not open: the switch fails, nothing changes.
            try db.execute("PRAGMA journal_mode = DELETE")
            let mode = try? db.firstRow("PRAGMA journal_mode = WAL")?.first?.string
            #expect(mode != "wal")
            try db.execute("CREATE TABLE t(x)")
            #expect(try db.firstRow("PRAGMA journal_mode")?.first?.string != "wal")
            // SQLite's own VFS has no such switch.
            let own = try SQLiteDatabase(path: dir.path("own.db"), create: true, coalescing: false)
            #expect(own.setCoalescing(true) == false)
        }
    }

    /// The vault store checks both settings itself and only then turns coalescing on.
    @Test func theVaultStoreTurnsItOnAfterCheckingTheSettings() throws {
        try withTemporaryDirectory { dir in
            let created = try SQLiteStore(path: dir.path("v.sarah"), create: true)
            #expect(created.isCoalescing)
            let opened = try SQLiteStore(path: dir.path("v.sarah"), create: false)
            #expect(opened.isCoalescing)
            // A bare connection that checked nothing holds nothing back.
            let bare = try SQLiteDatabase(path: dir.path("v.sarah"), create: false, coalescing: true)
            #expect(bare.setCoalescing(nil) == false)
        }
    }
}
