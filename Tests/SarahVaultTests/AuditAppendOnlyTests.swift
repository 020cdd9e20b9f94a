import Foundation
import Testing

@testable import SarahVault

/// Append-only at every layer (issue 4, point 5): the store refuses updates and deletes of
/// audit rows; nothing in the library can rewrite them; and when someone bypasses both (drops
/// the triggers, or slips past them), verification catches it.
@Suite struct AuditAppendOnlyTests {
    static let rewrites: [String] = [
        "UPDATE audit SET entry = X'00' WHERE seq = 1",
        "UPDATE audit SET seq = 1000 WHERE seq = 1",
        "DELETE FROM audit WHERE seq = 1",
        "DELETE FROM audit",
        "INSERT INTO audit(seq, entry) VALUES (1, X'00') ON CONFLICT(seq) DO UPDATE SET entry = excluded.entry",
    ]

    @Test(arguments: rewrites)
    func theStoreRefusesRewritesWhileItsTriggersStand(sql: String) throws {
        try withTemporaryDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let path = dir.path("v.sarah")
            let vault = try Vault.create(at: path, identity: officer)
            _ = try vault.members()
            let raw = try RawVault(path: path)
            let before = try raw.db.rows("SELECT seq, entry FROM audit ORDER BY seq")
            let e = #expect(throws: VaultError.self) { try raw.db.execute(sql) }
            #expect(e?.message.contains("append-only") == true, "\(e.map(\.message) ?? "")")
            #expect(try raw.db.rows("SELECT seq, entry FROM audit ORDER BY seq") == before)
            #expect(try vault.verify().ok)
        }
    }

    @Test func appendingIsAllTheStoreAllows() throws {
        try withTemporaryDirectory { dir in
            let officer = try Identity.generate(name: "Olivia Officer")
            let vault = try Vault.create(at: dir.path("v.sarah"), identity: officer)
            // Through the store's own interface, too: an existing seq cannot be written again.
            let e = #expect(throws: VaultError.self) {
                try vault.store.writeTransaction { () throws(VaultError) in
                    try vault.store.appendAuditEntry(seq: 0, bytes: [0])
                }
            }
            #expect(e?.code == .storage)
            #expect(try vault.verify().ok)
        }
    }

    /// `INSERT OR REPLACE` deletes the row it replaces without firing delete triggers (SQLite
    /// fires them only with `recursive_triggers` on); a third trigger refuses any insert of a
    /// seq that exists. Someone who drops it too is still caught by verification.
    @Test func aReplaceSlippedPastTheTriggersIsCaught() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let raw = try story.raw()
            let k = try raw.auditCount() / 2
            var entry = try raw.auditEntry(seq: k)
            entry[entry.count - 1] ^= 0x01
            #expect(throws: VaultError.self) {
                try raw.db.run("INSERT OR REPLACE INTO audit(seq, entry) VALUES (?, ?)", [.integer(k), .blob(entry)])
            }
            #expect(try raw.auditEntry(seq: k) != entry)
            try raw.db.execute("DROP TRIGGER audit_no_replace")
            try raw.db.run("INSERT OR REPLACE INTO audit(seq, entry) VALUES (?, ?)", [.integer(k), .blob(entry)])
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok)
            #expect(report.firstBadSeq == k, "\(report.problems)")
        }
    }

    /// The library's own code holds no statement that could change or remove an audit row, and
    /// the storage seam offers none: appending, reading and counting are all there is.
    @Test func nothingInTheLibraryRewritesTheLog() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let sources = root.appendingPathComponent("Sources/SarahVault")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        try #require(!files.isEmpty)
        let forbidden = [
            "update audit", "delete from audit", "replace into audit", "insert or replace into audit",
            "drop trigger", "drop table audit", "alter table audit", "recursive_triggers",
        ]
        for file in files {
            let text = try String(contentsOfFile: sources.appendingPathComponent(file).path, encoding: .utf8)
                .lowercased()
            for f in forbidden {
                #expect(!text.contains(f), "\(file) contains '\(f)'")
            }
        }
        let seam = try String(
            contentsOfFile: sources.appendingPathComponent("Storage/VaultStore.swift").path, encoding: .utf8)
        let auditMethods = seam.split(separator: "\n").filter {
            $0.contains("func ") && $0.lowercased().contains("audit")
        }
        .compactMap { line -> String? in
            guard let r = line.range(of: "func ") else { return nil }
            return String(line[r.upperBound...].prefix { $0.isLetter || $0.isNumber })
        }
        #expect(
            Set(auditMethods).isSubset(of: [
                "appendAuditEntry", "lastAuditEntry", "auditEntry", "forEachAuditEntry", "auditCount",
            ]),
            "the store offers more than appending and reading the log: \(auditMethods)")
    }
}
