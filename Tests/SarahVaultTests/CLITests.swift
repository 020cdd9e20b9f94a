import Foundation
import Testing

@testable import SarahVault

/// End to end through the built `sarah-vault` binary (swift-argument-parser's
/// `AssertExecuteCommand`, age's testscripts): stdout, stderr and exit status, as
/// `shared/design/CLI.md` fixes them.
@Suite struct CLITests {
    /// The binary: $SARAH_VAULT_BIN, else beside the test bundle (same build), else in the
    /// package's usual build directories.
    static let binary: String? = sarahVaultBinary()

    static let pass = "lösenord för provkörning"

    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var out: String { String(decoding: stdout, as: UTF8.self) }
        var err: String { String(decoding: stderr, as: UTF8.self) }
        var errLines: [String] { err.split(separator: "\n").map(String.init) }
    }

    /// One person's view of the command line in `dir`: their identity and the vault.
    struct CLI {
        let dir: TemporaryDirectory
        let binary: String
        var identity: String
        var vault: String

        func run(_ args: [String], passphrase: String = CLITests.pass) throws -> Result {
            let io = dir.path(".io-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: io, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: io) }
            FileManager.default.createFile(atPath: io + "/out", contents: nil)
            FileManager.default.createFile(atPath: io + "/err", contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: io + "/out"))
            let err = try FileHandle(forWritingTo: URL(fileURLWithPath: io + "/err"))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["--vault", vault, "--identity", identity] + args
            p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            p.environment = ["HOME": dir.path, "PATH": "/usr/bin:/bin", "SARAH_VAULT_PASSPHRASE": passphrase]
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = out
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            try out.close()
            try err.close()
            return Result(
                status: p.terminationStatus, stdout: try readBytes(io + "/out"), stderr: try readBytes(io + "/err"))
        }

        func `as`(_ identity: String) -> CLI {
            var c = self
            c.identity = identity
            return c
        }
    }

    /// A key made with `keygen --json`: its parsed output.
    struct Key {
        var path: String
        var name: String
        var publicKey: String
        var keyId: String
    }

    func cli(_ dir: TemporaryDirectory) throws -> CLI {
        let bin = try #require(
            Self.binary,
            "sarah-vault binary not found: build with 'swift build --build-tests' or set SARAH_VAULT_BIN")
        return CLI(dir: dir, binary: bin, identity: dir.path("officer.id"), vault: dir.path("vault.sarah"))
    }

    func keygen(_ cli: CLI, _ name: String, file: String) throws -> Key {
        let path = cli.dir.path(file)
        let r = try cli.run(["keygen", "--name", name, "--out", path, "--kdf", "interactive", "--json"])
        try #require(r.status == 0, "keygen failed: \(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
        return Key(
            path: path, name: try #require(json["name"] as? String),
            publicKey: try #require(json["publicKey"] as? String),
            keyId: try #require(json["keyId"] as? String))
    }

    /// The story on the command line: keys for everyone, a vault, the roster, one archived case.
    struct World {
        var cli: CLI
        var keys: [String: Key]
        var report: [UInt8]
        var reportPath: String
        var appendix: [UInt8]
        var appendixPath: String
        static let caseID = "ASN 2021/0026"
    }

    func world(_ dir: TemporaryDirectory) throws -> World {
        let cli = try cli(dir)
        var keys: [String: Key] = [:]
        let people: [(String, String, String, String?)] = [
            ("officer", "Olivia Ombudsdotter", "officer", nil),
            ("registrar", "Rasmus Registersson", "registrar", nil),
            ("investigator", "Ingrid Utredarsson", "investigator", nil),
            ("managerA", "Maja Enhetschefsdotter", "unit-manager", Story.unitA),
            ("managerB", "Bertil Annanenhetsson", "unit-manager", Story.unitB),
            ("auditor", "Agnes Granskarsson", "auditor", nil),
        ]
        for (who, name, _, _) in people { keys[who] = try keygen(cli, name, file: "\(who).id") }
        let initResult = try cli.run(["init"])
        try #require(initResult.status == 0, "init failed: \(initResult.err)")
        for (who, name, role, unit) in people where who != "officer" {
            let r = try cli.run(
                ["member", "add", "--name", name, "--role", role, "--key", keys[who]!.publicKey]
                    + (unit.map { ["--unit", $0] } ?? []))
            try #require(r.status == 0, "member add \(who) failed: \(r.err)")
        }
        let report = Story.document(size: 150 * 1024, seed: "cli")
        let appendix = Array("Bilaga: \(Story.phrase)\n".utf8)
        let reportPath = try dir.write("in/rapport.txt", report)
        let appendixPath = try dir.write("in/bilaga.txt", appendix)
        let r = try cli.as(keys["registrar"]!.path).run(
            [
                "archive", reportPath, appendixPath, "--diarienummer", World.caseID, "--unit", Story.unitA,
                "--received", Story.received, "--title", Story.title, "--investigator", keys["investigator"]!.keyId,
                "--allow-personnummer", "--json",
            ])
        try #require(r.status == 0, "archive failed: \(r.err)")
        return World(
            cli: cli, keys: keys, report: report, reportPath: reportPath, appendix: appendix,
            appendixPath: appendixPath)
    }

    /// Only the officer and an empty vault: enough for input checks.
    func emptyVault(_ dir: TemporaryDirectory) throws -> CLI {
        let cli = try cli(dir)
        _ = try keygen(cli, "Olivia Ombudsdotter", file: "officer.id")
        let r = try cli.run(["init"])
        try #require(r.status == 0, "init failed: \(r.err)")
        return cli
    }

    func jsonObject(_ r: Result) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], "not an object: \(r.out)")
    }

    func jsonArray(_ r: Result) throws -> [[String: Any]] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [[String: Any]], "not an array: \(r.out)")
    }

    /// No secret of the story on either stream.
    func expectNoPlaintext(_ r: Result, _ world: World, sourceLocation: SourceLocation = #_sourceLocation) {
        for s in [Story.phrase, Story.personnummer, Story.concernedName, Story.title, Story.unitA] {
            #expect(!contains(r.stdout, Array(s.utf8)), "stdout holds \(s)", sourceLocation: sourceLocation)
            #expect(!contains(r.stderr, Array(s.utf8)), "stderr holds \(s)", sourceLocation: sourceLocation)
        }
        #expect(!contains(r.stdout, Array(world.report.prefix(64))), sourceLocation: sourceLocation)
    }

    /// One `sarah-vault: error:` line, first, and only `hint:` lines after it.
    func expectOneErrorLine(_ r: Result, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = r.errLines
        #expect(
            lines.first?.hasPrefix("sarah-vault: error: ") == true, "stderr: \(r.err)", sourceLocation: sourceLocation)
        #expect(lines.filter { $0.hasPrefix("sarah-vault: error:") }.count == 1, sourceLocation: sourceLocation)
        #expect(
            lines.dropFirst().allSatisfy { $0.hasPrefix("hint: ") }, "stderr: \(r.err)", sourceLocation: sourceLocation)
        #expect(!r.err.contains("Fatal error") && !r.err.contains("Stack"), sourceLocation: sourceLocation)
    }

    // MARK: keygen

    @Test func keygenPrintsItsKeyWritesMode0600AndRefusesToOverwrite() throws {
        try withTemporaryDirectory { dir in
            let cli = try cli(dir)
            let key = try keygen(cli, "Ingrid Utredarsson", file: "ingrid.id")
            #expect(key.name == "Ingrid Utredarsson")
            let parsed = try PublicKey(token: key.publicKey)
            #expect(parsed.keyID == key.keyId)
            #expect(fileMode(key.path) == 0o600)
            let loaded = try Identity.load(from: key.path, passphrase: try passphrase(Self.pass))
            #expect(loaded.keyID == key.keyId)

            let before = try readBytes(key.path)
            let again = try cli.run(["keygen", "--name", "Someone Else", "--out", key.path, "--kdf", "interactive"])
            #expect(again.status != 0)
            #expect(again.stdout.isEmpty)
            expectOneErrorLine(again)
            #expect(try readBytes(key.path) == before)
        }
    }

    @Test func wrongPassphraseExitsWithOneClearLine() throws {
        try withTemporaryDirectory { dir in
            let cli = try cli(dir)
            _ = try keygen(cli, "Olivia Ombudsdotter", file: "officer.id")
            let r = try cli.run(["init"], passphrase: "inte rätt")
            #expect(r.status == 2)
            expectOneErrorLine(r)
            #expect(!r.err.contains("inte rätt") && !r.err.contains(Self.pass))
            #expect(!FileManager.default.fileExists(atPath: cli.vault))
        }
    }

    // MARK: init and the roster

    @Test func initAndMembers() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            let again = try w.cli.run(["init"])
            #expect(again.status != 0)
            expectOneErrorLine(again)

            let r = try w.cli.run(["member", "list", "--json"])
            #expect(r.status == 0, "\(r.err)")
            let members = try jsonArray(r)
            #expect(members.count == w.keys.count)
            for m in members {
                #expect(m["name"] is String && m["role"] is String && m["keyId"] is String, "\(m)")
            }
            let byKey = Dictionary(uniqueKeysWithValues: members.map { ($0["keyId"] as? String ?? "", $0) })
            #expect(byKey[w.keys["officer"]!.keyId]?["role"] as? String == "officer")
            #expect(byKey[w.keys["registrar"]!.keyId]?["role"] as? String == "registrar")
            #expect(byKey[w.keys["managerA"]!.keyId]?["role"] as? String == "unit-manager")
            #expect(byKey[w.keys["managerA"]!.keyId]?["unit"] as? String == Story.unitA)
            #expect(byKey[w.keys["investigator"]!.keyId]?["name"] as? String == "Ingrid Utredarsson")
        }
    }

    @Test
    func memberListHasEveryKeyOfTheContract() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            let members = try jsonArray(try w.cli.run(["member", "list", "--json"]))
            #expect(members.count == w.keys.count)
            for m in members {
                for field in ["name", "role", "unit", "keyId"] {
                    #expect(m.keys.contains(field), "member list entry lacks \"\(field)\": \(m)")
                }
            }
        }
    }

    // MARK: archive, cases, show, read

    @Test func archiveCasesShowAndRead() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            let more = try dir.write("in/beslut.txt", Array("Beslut.\n".utf8))
            let r = try w.cli.as(w.keys["registrar"]!.path).run(
                [
                    "archive", more, "--diarienummer", "ASN 2021/0027", "--unit", Story.unitB, "--received",
                    "2021-05-01", "--kind", "decision", "--investigator", w.keys["investigator"]!.keyId, "--json",
                ])
            #expect(r.status == 0, "\(r.err)")
            let archived = try jsonObject(r)
            #expect(archived["case"] as? String == "ASN 2021/0027")
            let docs = try #require(archived["documents"] as? [[String: Any]])
            #expect(docs.count == 1)
            #expect(docs.first?["name"] as? String == "beslut.txt")
            #expect((docs.first?["version"] as? NSNumber)?.intValue == 1)
            #expect((docs.first?["size"] as? NSNumber)?.intValue == 8)
            #expect(docs.first?["id"] is NSNumber)

            let cases = try jsonArray(try w.cli.run(["cases", "--json"]))
            #expect(Set(cases.compactMap { $0["case"] as? String }) == [World.caseID, "ASN 2021/0027"])
            for c in cases {
                #expect(c["received"] is String)
                #expect(c["status"] is String)
            }
            #expect(cases.first { $0["case"] as? String == World.caseID }?["received"] as? String == Story.received)

            let show = try w.cli.run(["show", World.caseID, "--json"])
            #expect(show.status == 0, "\(show.err)")
            let detail = try jsonObject(show)
            #expect(detail["case"] as? String == World.caseID)
            #expect(detail["title"] as? String == Story.title)
            let shownDocs = try #require(detail["documents"] as? [[String: Any]])
            #expect(Set(shownDocs.compactMap { $0["name"] as? String }) == ["rapport.txt", "bilaga.txt"])

            for reader in ["officer", "investigator", "managerA"] {
                let read = try w.cli.as(w.keys[reader]!.path).run(["read", World.caseID, "--doc", "rapport.txt"])
                #expect(read.status == 0, "\(reader): \(read.err)")
                #expect(read.stdout == w.report, "\(reader) read other bytes")
            }
            let appendix = try w.cli.run(["read", World.caseID, "--doc", "bilaga.txt"])
            #expect(appendix.stdout == w.appendix)
            let toFile = try w.cli.run(["read", World.caseID, "--doc", "rapport.txt", "--out", dir.path("copy")])
            #expect(toFile.status == 0)
            #expect(toFile.stdout.isEmpty)
            #expect(try readBytes(dir.path("copy")) == w.report)
        }
    }

    @Test func refusedReadExits1AndReleasesNothing() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            for who in ["registrar", "managerB", "auditor"] {
                let r = try w.cli.as(w.keys[who]!.path).run(["read", World.caseID, "--doc", "rapport.txt"])
                #expect(r.status == 1, "\(who): \(r.status) \(r.err)")
                #expect(r.stdout.isEmpty, "\(who) got stdout")
                expectOneErrorLine(r)
                expectNoPlaintext(r, w)
                let toFile = try w.cli.as(w.keys[who]!.path).run(
                    ["read", World.caseID, "--doc", "rapport.txt", "--out", dir.path("stolen-\(who)")])
                #expect(toFile.status == 1)
                #expect(outputs(in: dir, prefix: "stolen-").isEmpty)
            }
            // Someone not enrolled at all.
            let stranger = try keygen(w.cli, "Främling Utanförsson", file: "stranger.id")
            let r = try w.cli.as(stranger.path).run(["read", World.caseID])
            #expect(r.status == 1)
            #expect(r.stdout.isEmpty)
            expectOneErrorLine(r)
            expectNoPlaintext(r, w)
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var label: String
        var args: [String]
        var testDescription: String { label }
    }

    static let badInputs: [BadInput] = [
        BadInput(
            label: "bad diarienummer",
            args: ["archive", "@FILE", "--diarienummer", "not a number", "--unit", "U", "--received", "2021-03-14"]),
        BadInput(
            label: "diarienummer without a year",
            args: ["archive", "@FILE", "--diarienummer", "ASN 0026", "--unit", "U", "--received", "2021-03-14"]),
        BadInput(
            label: "impossible date",
            args: ["archive", "@FILE", "--diarienummer", "ASN 2021/0026", "--unit", "U", "--received", "2021-02-30"]),
        BadInput(label: "unknown kind", args: ["add", "ASN 2021/0026", "@FILE", "--kind", "memo"]),
        BadInput(
            label: "unknown role", args: ["member", "add", "--name", "X", "--role", "king", "--key", "svpk1aaaa"]),
        BadInput(
            label: "mistyped key", args: ["member", "add", "--name", "X", "--role", "board", "--key", "svpk1aaaa"]),
        BadInput(label: "missing option", args: ["archive", "@FILE", "--unit", "U"]),
        BadInput(label: "unknown command", args: ["frobnicate"]),
    ]

    @Test(arguments: badInputs)
    func badInputExits2WithOneErrorLine(input: BadInput) throws {
        try withTemporaryDirectory { dir in
            let cli = try emptyVault(dir)
            let file = try dir.write("in/ny.txt", Array("x".utf8))
            let r = try cli.run(input.args.map { $0 == "@FILE" ? file : $0 })
            #expect(r.status == 2, "\(input.label): exit \(r.status), \(r.err)")
            #expect(r.stdout.isEmpty)
            expectOneErrorLine(r)
        }
    }

    // MARK: the audit log

    @Test func auditLogJSONLines() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            _ = try w.cli.as(w.keys["investigator"]!.path).run(["read", World.caseID, "--doc", "bilaga.txt"])
            let refused = try w.cli.as(w.keys["registrar"]!.path).run(["read", World.caseID, "--doc", "bilaga.txt"])
            #expect(refused.status == 1)

            let r = try w.cli.run(["audit", "log", "--json"])
            #expect(r.status == 0, "\(r.err)")
            let lines = r.out.split(separator: "\n").map(String.init)
            #expect(lines.count > 8)
            var entries: [[String: Any]] = []
            for line in lines {
                let obj = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
                entries.append(obj)
            }
            for (i, e) in entries.enumerated() {
                #expect((e["seq"] as? NSNumber)?.intValue == i)
                // "case" is checked on its own in auditLogLinesAlwaysHaveACaseKey.
                for field in ["seq", "time", "actor", "role", "action", "result"] {
                    #expect(e.keys.contains(field), "audit line \(i) lacks \"\(field)\": \(lines[i])")
                }
                #expect(["granted", "refused"].contains(e["result"] as? String ?? ""))
            }
            let reads = entries.filter { $0["action"] as? String == "document.read" }
            #expect(
                reads.contains {
                    $0["actor"] as? String == w.keys["investigator"]!.keyId && $0["result"] as? String == "granted"
                        && $0["role"] as? String == "investigator" && $0["case"] as? String == World.caseID
                })
            #expect(
                reads.contains {
                    $0["actor"] as? String == w.keys["registrar"]!.keyId && $0["result"] as? String == "refused"
                        && $0["role"] as? String == "registrar" && $0["case"] as? String == World.caseID
                })
            // The log is not content: no secret in it.
            expectNoPlaintext(r, w)

            let one = try w.cli.run(["audit", "log", "--case", World.caseID, "--json"])
            let oneLines = one.out.split(separator: "\n")
            #expect(!oneLines.isEmpty && oneLines.count < lines.count)
            #expect(oneLines.allSatisfy { $0.contains("\"case\":\"\(World.caseID)\"") })
        }
    }

    @Test
    func auditLogLinesAlwaysHaveACaseKey() throws {
        try withTemporaryDirectory { dir in
            let cli = try emptyVault(dir)
            let r = try cli.run(["audit", "log", "--json"])
            #expect(r.status == 0, "\(r.err)")
            let lines = r.out.split(separator: "\n").map(String.init)
            #expect(!lines.isEmpty)
            for line in lines {
                let e = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(e.keys.contains("case"), "audit line lacks \"case\": \(line)")
            }
        }
    }

    @Test func auditVerifyPassesThenNamesATamperedChunk() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            let auditor = w.cli.as(w.keys["auditor"]!.path)
            let ok = try auditor.run(["audit", "verify"])
            #expect(ok.status == 0, "\(ok.err)")
            #expect(!ok.out.isEmpty)

            let raw = try RawVault(path: w.cli.vault)
            let doc = try #require(
                try raw.db.firstRow(
                    "SELECT doc FROM versions WHERE case_id = ? AND doc > 0 AND chunks > 1", [.text(World.caseID)])?
                    .first?.int)
            let vid = try raw.vid(caseID: World.caseID, document: doc, version: 1)
            try raw.flipChunkByte(vid: vid, index: 1)

            let bad = try auditor.run(["audit", "verify"])
            #expect(bad.status == 1)
            let first = bad.errLines.first { $0.hasPrefix("sarah-vault: error:") } ?? ""
            #expect(first.contains("case \(World.caseID) document \(doc)"), "stderr: \(bad.err)")
            #expect(bad.errLines.filter { $0.hasPrefix("sarah-vault: error:") }.count == 1)

            // And the officer's read of it fails without releasing a byte.
            let read = try w.cli.run(["read", World.caseID, "--doc", "rapport.txt"])
            #expect(read.status != 0)
            #expect(read.stdout.count < ChunkedCipher.chunkSize * 2, "released past the tampered chunk")
        }
    }

    @Test func auditVerifyNamesAnEditedEntry() throws {
        try withTemporaryDirectory { dir in
            let w = try world(dir)
            let raw = try RawVault(path: w.cli.vault)
            try raw.dropAuditTriggers()
            let k: Int64 = 3
            var entry = try raw.auditEntry(seq: k)
            entry[entry.count - 1] ^= 1
            try raw.setAuditEntry(seq: k, entry)
            let bad = try w.cli.as(w.keys["auditor"]!.path).run(["audit", "verify"])
            #expect(bad.status == 1)
            #expect(bad.errLines.first?.hasPrefix("sarah-vault: error: audit entry \(k)") == true, "\(bad.err)")
        }
    }
}
