import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Fail-closed (issue 4, point 6): when the audit entry cannot be written — the database is
/// read-only, locked by another writer, or the disk is full — the operation does nothing,
/// releases nothing, and says so. Each case is forced on a real vault file: `query_only` and a
/// file mode for a read-only database, a second connection holding the lock, and SQLite's
/// `max_page_count` for a full disk.
@Suite struct AuditFailClosedTests {
    /// The operations that must each write an entry before they release or change anything.
    enum Operation: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case read, archive, grant, checkpoint, prove, review, export, auditLog
        var testDescription: String { rawValue }

        var person: StoryPerson {
            switch self {
            case .read: return .investigator
            case .archive: return .registrar
            case .grant, .checkpoint, .prove: return .officer
            case .review, .export, .auditLog: return .auditor
            }
        }

        /// Runs the operation; anything it would release goes to files named `out-…` in `dir`.
        func run(_ vault: Vault, _ story: Story, _ dir: TemporaryDirectory) throws {
            switch self {
            case .read:
                try vault.read(caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("out-read")))
            case .archive:
                let file = try dir.write("in-new/brev.txt", Array("Ny anmälan.\n".utf8))
                _ = try vault.archive(
                    files: [file], diarienummer: "ASN 2021/0099", unit: Story.unitA, received: "2021-05-01", title: nil)
            case .grant:
                try vault.grant(caseID: Story.otherCaseID, to: story.managerB.keyID)
            case .checkpoint:
                try vault.writeCheckpoint(to: dir.path("out-checkpoint"))
            case .prove:
                try vault.writeProof(seq: 1, to: dir.path("out-proof"))
            case .review:
                _ = try vault.review(rules: ReviewRules(sample: 3))
            case .export:
                _ = try vault.exportLog(to: .file(dir.path("out-export")))
            case .auditLog:
                _ = try vault.auditLog()
            }
        }
    }

    /// The vault file's bytes and its row counts, to show that nothing changed.
    struct Snapshot: Equatable {
        var bytes: [UInt8]
        var counts: [Int64]

        init(_ story: Story) throws {
            bytes = try readBytes(story.vaultPath)
            let raw = try story.raw()
            counts = try ["audit", "cases", "case_keys", "versions", "chunks", "members", "meta"].map {
                try raw.db.firstRow("SELECT count(*) FROM \($0)")?.first?.int ?? -1
            }
        }
    }

    func store(_ vault: Vault) throws -> SQLiteStore {
        try #require(vault.store as? SQLiteStore)
    }

    @Test(arguments: Operation.allCases)
    func readOnlyDatabase(operation: Operation) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let vault = try story.vault(operation.person)
            try store(vault).limitConnection(queryOnly: true)
            let before = try Snapshot(story)
            let e = #expect(throws: VaultError.self) { try operation.run(vault, story, dir) }
            #expect(e?.code == .io, "\(e.map(\.message) ?? "")")
            #expect(e?.message.contains("read-only") == true, "\(e.map(\.message) ?? "")")
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            #expect(try Snapshot(story) == before)
            #expect(try story.vault(.auditor).verify().ok)
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root writes a file whatever its mode"))
    func readOnlyFile() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            #expect(chmod(story.vaultPath, 0o444) == 0)
            defer { _ = chmod(story.vaultPath, 0o600) }
            let before = try readBytes(story.vaultPath)
            let e = #expect(throws: VaultError.self) {
                try story.vault(.investigator).read(
                    caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("out-read")))
            }
            #expect(e?.code == .io || e?.code == .storage, "\(e.map(\.message) ?? "")")
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            #expect(try readBytes(story.vaultPath) == before)
        }
    }

    enum Lock: String, CaseIterable, Sendable {
        /// Another writer holds the write lock; reading still works, writing the entry does not.
        case immediate = "BEGIN IMMEDIATE"
        /// Another connection holds the file exclusively: not even reading works.
        case exclusive = "BEGIN EXCLUSIVE"
    }

    @Test(arguments: Lock.allCases)
    func lockedDatabase(lock: Lock) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let vault = try story.vault(.investigator)
            try store(vault).limitConnection(busyTimeoutMillis: 50)
            let before = try Snapshot(story)
            let holder = try SQLiteDatabase(path: story.vaultPath, create: false)
            try holder.execute(lock.rawValue)
            let started = Date()
            let e = #expect(throws: VaultError.self) {
                try vault.read(caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("out-read")))
            }
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(e?.code == .busy, "\(e.map(\.message) ?? "")")
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            try holder.execute("ROLLBACK")
            #expect(try Snapshot(story) == before)
            // Once the lock is gone the same read goes through, and is logged.
            try vault.read(caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("out-after")))
            #expect(try readBytes(dir.path("out-after")) == story.smallV2)
        }
    }

    @Test func fullDisk() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let vault = try story.vault(.investigator)
            let s = try store(vault)
            // The file may not grow by a single page: the first read whose entry needs a new
            // page finds the disk full. Until then reads go through (their entries fit).
            try s.limitConnection(maxPageCount: try s.pageCount())
            var refused: VaultError?
            for attempt in 0..<2000 where refused == nil {
                let before = try Snapshot(story)
                let out = dir.path("out-\(attempt)")
                do throws(VaultError) {
                    try vault.read(caseID: Story.caseID, document: Story.smallName, to: .file(out))
                    #expect(FileManager.default.fileExists(atPath: out))
                    try? FileManager.default.removeItem(atPath: out)
                } catch {
                    refused = error
                    #expect(outputs(in: dir, prefix: "out-").isEmpty)
                    #expect(try Snapshot(story) == before)
                }
            }
            let e = try #require(refused, "the page limit never filled the file")
            #expect(e.code == .io)
            #expect(e.message.contains("disk is full"), "\(e.message)")
            #expect(e.message.contains("nothing was released"), "\(e.message)")
            #expect(try story.vault(.auditor).verify().ok)
        }
    }

    @Test func aRefusalThatCannotBeLoggedIsStillARefusal() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let vault = try story.vault(.registrar)
            try store(vault).limitConnection(queryOnly: true)
            let before = try Snapshot(story)
            let e = #expect(throws: VaultError.self) {
                try vault.read(caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("out-read")))
            }
            #expect(e?.code == .refused)
            #expect(outputs(in: dir, prefix: "out-").isEmpty)
            #expect(try Snapshot(story) == before)
        }
    }
}
