import Foundation
import Testing

@testable import SarahVault

/// Archives outlive their software: a vault written when each format version was fixed
/// (Tests/Fixtures/format-v1, format-v2) must open, decrypt and verify with every later build.
@Suite struct FormatFixtureTests {
    /// Every format version there has been.
    static let versions = [1, 2]

    static func fixture(_ version: Int) -> URL {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { root.deleteLastPathComponent() }  // Tests/SarahVaultTests/FormatFixtureTests.swift
        return root.appendingPathComponent("Fixtures/format-v\(version)")
    }

    static func passphrase(_ version: Int = 1) throws -> Passphrase {
        var bytes = Array("format v\(version) fixture".utf8)
        return try Passphrase(bytes: &bytes)
    }

    /// A copy of the fixture in a temporary directory (reading appends audit entries).
    static func copy(_ version: Int = 1, into dir: TemporaryDirectory) throws -> String {
        for name in ["vault.sarah", "officer.id", "investigator.id"] {
            try FileManager.default.copyItem(
                atPath: fixture(version).appendingPathComponent(name).path, toPath: dir.path(name))
        }
        return dir.path("vault.sarah")
    }

    static func bytes(_ version: Int, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixture(version).appendingPathComponent(name)))
    }

    @Test(arguments: versions)
    func theFixtureVaultStillDecryptsAndVerifies(version: Int) throws {
        try withTemporaryDirectory { dir in
            let path = try Self.copy(version, into: dir)
            let investigator = try Identity.load(
                from: dir.path("investigator.id"), passphrase: try Self.passphrase(version))
            let token = String(decoding: try Self.bytes(version, "investigator.pubkey"), as: UTF8.self)
            #expect(investigator.publicKey == (try PublicKey(token: token)))

            let vault = try Vault.open(at: path, identity: investigator)
            for name in ["report.txt", "scan.bin"] {
                let out = dir.path("out-" + name)
                try vault.read(caseID: "FIX 2026/0001", document: name, to: try PlaintextSink.file(out))
                #expect(
                    [UInt8](try Data(contentsOf: URL(fileURLWithPath: out))) == (try Self.bytes(version, name)),
                    "\(name)")
            }
            let detail = try vault.show(caseID: "FIX 2026/0001")
            #expect(detail.title == "Fixture title" && detail.unit == "Fixture Unit")

            let officer = try Vault.open(
                at: path,
                identity: try Identity.load(from: dir.path("officer.id"), passphrase: try Self.passphrase(version)))
            #expect(officer.format.rawValue == UInt8(version))
            #expect(try officer.verify().ok)
            let checkpoint = String(decoding: try Self.bytes(version, "checkpoint.txt"), as: UTF8.self)
            #expect(try officer.verify(against: checkpoint).ok)
        }
    }

    @Test(arguments: versions)
    func theFixtureRecoveryKeyStillRecovers(version: Int) throws {
        try withTemporaryDirectory { dir in
            let path = try Self.copy(version, into: dir)
            let key = try RecoveryKey(text: String(decoding: try Self.bytes(version, "recovery.txt"), as: UTF8.self))
            let successor = try Identity.generate(name: "Successor")
            let vault = try Vault.recover(at: path, identity: successor, recoveryKey: key)
            let out = dir.path("report.txt")
            try vault.read(caseID: "FIX 2026/0001", document: "report.txt", to: try PlaintextSink.file(out))
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))) == (try Self.bytes(version, "report.txt")))
        }
    }
}
