import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// The bench the kill and I/O-error tests share: an officer, two investigators, and a vault
/// holding case A (a 2 MiB document and a small one), saved as `base` so every fault starts
/// from the same bytes. Each operation under test is described once, with the check that says
/// whether it happened completely or not at all.
final class CrashBench {
    static let caseA = "ASN 2021/0001"
    static let caseB = "ASN 2021/0002"
    static let bigSize = 2 << 20

    let world: CrashWorld
    let officer: CrashPerson
    let investigator: CrashPerson
    let investigator2: CrashPerson
    let officerID: Identity
    let investigatorID: Identity
    let base: String
    let baseBytes: [UInt8]
    let baseEntries: Int64
    let baseVersionsA: Int64

    // Case A's documents, and the inputs of the operations under test.
    let big: [UInt8]
    let small: [UInt8]
    let bigB: [UInt8]
    let noteB: [UInt8]
    let big3: [UInt8]
    let smallV2: [UInt8]
    let inputs: [String: String]

    var dir: TemporaryDirectory { world.dir }

    init(dir: TemporaryDirectory) throws {
        var world = try CrashWorld(dir: dir)
        world.vault = dir.path("base.sarah")
        self.world = world
        officer = try world.keygen("Olle Ombud", file: "officer.id")
        investigator = try world.keygen("Ines Utredare", file: "inv.id")
        investigator2 = try world.keygen("Ivar Utredare", file: "inv2.id")
        try world.initVault(
            officer: officer,
            members: [
                ("Ines Utredare", "investigator", investigator), ("Ivar Utredare", "investigator", investigator2),
            ])
        big = pseudoRandomBytes(Self.bigSize, seed: 1)
        small = Array("Liten bilaga: larmet saknade batteri.\n".utf8)
        bigB = pseudoRandomBytes(Self.bigSize, seed: 2)
        noteB = Array("Anteckning till ärende B.\n".utf8)
        big3 = pseudoRandomBytes(Self.bigSize, seed: 3)
        smallV2 = small + Array("Komplettering.\n".utf8)
        inputs = [
            "big": try dir.write("in/a/big.bin", big), "small": try dir.write("in/a/small.txt", small),
            "bigB": try dir.write("in/b/bigB.bin", bigB), "noteB": try dir.write("in/b/note.txt", noteB),
            "big3": try dir.write("in/add/big3.bin", big3), "smallV2": try dir.write("in/add/small.txt", smallV2),
        ]
        try world.must(
            officer,
            [
                "archive", inputs["big"]!, inputs["small"]!, "--diarienummer", Self.caseA, "--unit", "Hemtjänst",
                "--received", "2021-01-01", "--investigator", investigator.keyID,
            ])
        base = world.vault
        officerID = try Identity.load(from: officer.path, passphrase: try passphrase(CrashKit.pass))
        investigatorID = try Identity.load(from: investigator.path, passphrase: try passphrase(CrashKit.pass))
        let file = VaultFile(path: base)
        baseBytes = try file.bytes()
        baseEntries = try file.auditCount()
        baseVersionsA = try file.versionCount(Self.caseA)
    }

    /// A fresh copy of the base vault.
    func copy(_ name: String) throws -> VaultFile {
        let f = VaultFile(path: dir.path(name))
        try VaultFile(path: base).copy(to: f.path)
        return f
    }

    func remove(_ f: VaultFile) {
        unlink(f.path)
        unlink(f.journal)
    }

    /// One operation under test.
    struct Operation {
        var name: String
        var who: CrashPerson
        /// The arguments; `out` (a fresh path per run) fills in any output file.
        var args: (_ out: String) -> [String]
        /// Where it writes what it hands out (the package file `out`, or stdout), if anywhere.
        var output: CrashOutput? = nil
        /// Checks the vault after a fault: the operation complete (its data readable byte for
        /// byte) or absent (no row of it), and what was there before intact.
        var check: (_ vault: VaultFile, _ out: String) throws -> Void
        /// Whether the vault shows the operation (it must then be complete, else absent).
        var happened: (_ vault: VaultFile) throws -> Bool
    }

    func read(_ f: VaultFile, _ who: Identity, _ caseID: String, _ doc: String, version: Int64? = nil) throws -> [UInt8]
    {
        try readDocumentBytes(vault: f.path, as: who, caseID: caseID, doc: doc, version: version, scratch: dir.path)
    }

    /// Case A's original documents are intact and readable byte for byte.
    func expectCaseAIntact(_ f: VaultFile, _ context: String) throws {
        #expect(try read(f, officerID, Self.caseA, "big.bin") == big, "\(context): big.bin of case A")
        #expect(try read(f, officerID, Self.caseA, "small.txt", version: 1) == small, "\(context): small.txt v1")
    }

    var operations: [Operation] {
        [
            Operation(
                name: "archive", who: officer,
                args: { _ in
                    [
                        "archive", self.inputs["bigB"]!, self.inputs["noteB"]!, "--diarienummer", Self.caseB, "--unit",
                        "Hemtjänst", "--received", "2021-02-01", "--investigator", self.investigator.keyID,
                    ]
                },
                check: { f, _ in
                    if try f.caseExists(Self.caseB) {
                        #expect(try self.read(f, self.officerID, Self.caseB, "bigB.bin") == self.bigB, "archive: bigB")
                        #expect(try self.read(f, self.officerID, Self.caseB, "note.txt") == self.noteB, "archive: note")
                    } else {
                        #expect(try f.rows(of: Self.caseB) == 0, "archive: rows of an absent case are visible")
                    }
                    try self.expectCaseAIntact(f, "archive")
                },
                happened: { try $0.caseExists(Self.caseB) }),
            Operation(
                name: "add", who: officer,
                args: { _ in ["add", Self.caseA, self.inputs["big3"]!, self.inputs["smallV2"]!] },
                check: { f, _ in
                    let versions = try f.versionCount(Self.caseA)
                    #expect(
                        versions == self.baseVersionsA || versions == self.baseVersionsA + 2,
                        "add: \(versions) versions")
                    if versions == self.baseVersionsA + 2 {
                        #expect(try self.read(f, self.officerID, Self.caseA, "big3.bin") == self.big3, "add: big3")
                        #expect(
                            try self.read(f, self.officerID, Self.caseA, "small.txt") == self.smallV2, "add: small v2")
                    } else {
                        #expect(
                            try self.read(f, self.officerID, Self.caseA, "small.txt") == self.small,
                            "add: small v1 latest")
                    }
                    try self.expectCaseAIntact(f, "add")
                },
                happened: { try $0.versionCount(Self.caseA) > self.baseVersionsA }),
            Operation(
                name: "grant", who: officer, args: { _ in ["grant", Self.caseA, self.investigator2.keyID] },
                check: { f, _ in try self.expectCaseAIntact(f, "grant") },
                happened: { try $0.holders(Self.caseA).contains(self.investigator2.keyID) }),
            Operation(
                name: "revoke", who: officer, args: { _ in ["revoke", Self.caseA, self.investigator.keyID] },
                check: { f, _ in
                    // The rotation reseals every version key: all or nothing, or documents are lost.
                    try self.expectCaseAIntact(f, "revoke")
                    let revoked = !(try f.holders(Self.caseA).contains(self.investigator.keyID))
                    if revoked {
                        #expect(throws: VaultError.self, "revoke: the revoked investigator still reads") {
                            _ = try self.read(f, self.investigatorID, Self.caseA, "small.txt")
                        }
                    } else {
                        #expect(try self.read(f, self.investigatorID, Self.caseA, "small.txt") == self.small)
                    }
                },
                happened: { !(try $0.holders(Self.caseA).contains(self.investigator.keyID)) }),
            Operation(
                name: "checkout", who: officer, args: { out in ["checkout", Self.caseA, "--out", out] }, output: .file,
                check: { f, out in
                    let issued = try f.checkoutCount() == 1
                    if !issued {
                        #expect(
                            !FileManager.default.fileExists(atPath: out),
                            "checkout: a package exists without its checkout")
                    }
                    try self.expectCaseAIntact(f, "checkout")
                },
                happened: { try $0.checkoutCount() == 1 }),
        ]
    }

    /// A read to stdout: logged durably before the first byte, so it fails closed (nothing on
    /// stdout) when the entry cannot be written.
    var readOperation: Operation {
        Operation(
            name: "read", who: officer, args: { _ in ["read", Self.caseA, "--doc", "small.txt"] }, output: .stdout,
            check: { f, _ in try self.expectCaseAIntact(f, "read") },
            happened: { try $0.auditCount() > self.baseEntries })
    }

    /// What became of a checkout package at `out`: absent, complete (opens, byte-exact), or
    /// partial (refuses to open and leaves nothing behind).
    enum PackageState: String { case absent, complete, partial }

    func packageState(_ out: String) throws -> PackageState {
        guard FileManager.default.fileExists(atPath: out) else { return .absent }
        let into = dir.path("opened-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: into) }
        do {
            let m = try Vault.openPackage(at: out, identity: officerID, into: into)
            #expect(m.documents.count == 2)
            #expect(try readBytes(into + "/big.bin") == big, "checkout: package big.bin")
            #expect(try readBytes(into + "/small.txt") == small, "checkout: package small.txt")
            return .complete
        } catch {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: into)) ?? []
            #expect(left.isEmpty, "checkout: a package that does not open left \(left) behind")
            return .partial
        }
    }

    /// The operation's audit entries, and the main thread's calls to `syscalls` in order, from
    /// one clean run on a copy (only those on its output, with `onOutput`).
    func dryRun(_ op: Operation, syscalls: [String], onOutput: Bool = false) throws -> (entries: Int64, calls: [String])
    {
        let f = try copy("dry-\(op.name).sarah")
        let out = dir.path("dry-\(op.name).out")
        defer {
            remove(f)
            unlink(out)
        }
        let calls = try world.traceCalls(
            syscalls, op.who, op.args(out), vault: f.path, only: onOutput ? op.output.map { ($0, out) } : nil)
        let entries = try f.auditCount() - baseEntries
        guard try op.happened(f) else { throw TestFailure("\(op.name): the dry run left no trace") }
        return (entries, calls)
    }
}
