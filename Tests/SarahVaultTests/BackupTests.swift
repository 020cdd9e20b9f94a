import Foundation
import Testing

@testable import SarahVault

/// Backup and restore (issue 6 item 5): a consistent snapshot, as confidential as the vault,
/// that verifies against a checkpoint taken before it was made.
@Suite struct BackupTests {
    @Test func backupRestoresAndVerifiesAgainstAnEarlierCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let officer = try Identity.generate(name: "Olga Officer")
            let vaultPath = dir.path("vault.sarah")
            let vault = try Vault.create(at: vaultPath, identity: officer)
            let secret = "Hemlig uppgift om Greta Exempelsson"
            let file = try dir.write("rapport.txt", Array(secret.utf8))
            _ = try vault.archive(
                files: [file], diarienummer: "ASN 2021/0026", unit: "Enhet Norr", received: "2021-03-02",
                title: "Förlorad väska")
            let checkpoint = try vault.checkpoint()

            let backupPath = dir.path("backup.sarah")
            let report = try vault.backup(to: backupPath)
            #expect(report.ok)
            let raw = try Data(contentsOf: URL(fileURLWithPath: backupPath))
            for planted in [secret, "Enhet Norr", "Förlorad väska", "rapport.txt"] {
                #expect(raw.range(of: Data(planted.utf8)) == nil, "the backup leaks \(planted)")
            }
            #expect(throws: VaultError.self) { _ = try vault.backup(to: backupPath) }  // never overwrites

            // The vault is lost; the backup comes back in a new place.
            let restoredPath = dir.path("restored.sarah")
            let restoredReport = try Vault.restore(from: backupPath, to: restoredPath, identity: officer)
            #expect(restoredReport.ok)
            let restored = try Vault.open(at: restoredPath, identity: officer)
            #expect(try restored.verify(against: checkpoint).ok)
            let out = dir.path("out.txt")
            try restored.read(caseID: "ASN 2021/0026", to: try PlaintextSink.file(out))
            #expect(try String(contentsOfFile: out, encoding: .utf8) == secret)
            #expect(try restored.auditLog().contains { $0.action == "vault.restore" && $0.result == .granted })
        }
    }

    @Test func aTamperedBackupIsNotRestored() throws {
        try withTemporaryDirectory { dir in
            let officer = try Identity.generate(name: "Olga Officer")
            let vault = try Vault.create(at: dir.path("vault.sarah"), identity: officer)
            let file = try dir.write("a.txt", Array(repeating: 0x41, count: 100_000))
            _ = try vault.archive(
                files: [file], diarienummer: "ASN 2021/0001", unit: "U", received: "2021-01-01", title: nil)
            let backupPath = dir.path("backup.sarah")
            _ = try vault.backup(to: backupPath)
            let db = try SQLiteDatabase(path: backupPath, create: false)
            try db.execute("UPDATE chunks SET data = zeroblob(length(data)) WHERE idx = 0")
            let restoredPath = dir.path("restored.sarah")
            #expect(throws: VaultError.self) {
                _ = try Vault.restore(from: backupPath, to: restoredPath, identity: officer)
            }
            #expect(!FileManager.default.fileExists(atPath: restoredPath))
        }
    }

    @Test func onlyTheBackupRightMayBackUp() throws {
        try withTemporaryDirectory { dir in
            let officer = try Identity.generate(name: "Olga Officer")
            let auditor = try Identity.generate(name: "Alva Auditor")
            let path = dir.path("vault.sarah")
            let vault = try Vault.create(at: path, identity: officer)
            try vault.addMember(name: "Alva Auditor", role: .auditor, unit: nil, publicKey: auditor.publicKey)
            let asAuditor = try Vault.open(at: path, identity: auditor)
            #expect(throws: VaultError.self) { _ = try asAuditor.backup(to: dir.path("b.sarah")) }
            #expect(!FileManager.default.fileExists(atPath: dir.path("b.sarah")))
            #expect(
                try vault.auditLog().contains {
                    $0.action == "vault.backup" && $0.result == .refused && $0.actorKeyID == auditor.keyID
                })
        }
    }
}
