import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10, item 3: the files a neighbour or an interruption can reach.
///
/// - Every private file a command creates (identity, recovery key, new vault, backup, plaintext
///   output, package, review, incident record) is opened `O_CREAT|O_EXCL|O_NOFOLLOW` with mode
///   0600 and never chmod'ed: there is no moment at which it is wider (read from the `open`
///   flags under strace).
/// - `read --out` and `open` interrupted by SIGTERM, SIGINT or SIGHUP leave no plaintext; SIGKILL,
///   which nothing can catch, leaves the `*.partial-*` file, at mode 0600 (as SECURITY.md says).
///
/// The output is slowed (strace delays every `write` of the command) so that the signal
/// certainly arrives mid-output; the test waits for the partial file to hold data, not for time.
@Suite(.serialized) struct InterruptedOutputTests {
    static let caseID = "ASN 2025/0301"
    static let documentBytes = 2 << 20  // 32 chunks of 64 KiB, each write delayed

    struct Setup {
        var world: CrashWorld
        var officer: CrashPerson
        var holder: CrashPerson
        var document: [UInt8]
    }

    static func setUp(_ dir: TemporaryDirectory) throws -> Setup {
        let world = try CrashWorld(dir: dir)
        let officer = try world.keygen("Olle Ombud", file: "officer.id")
        let registrar = try world.keygen("Rut Registrator", file: "registrar.id")
        let holder = try world.keygen("Jon Hemarbete", file: "holder.id")
        try world.initVault(officer: officer, members: [("Rut Registrator", "registrar", registrar)])
        try world.must(
            officer,
            [
                "member", "add", "--name", "Jon Hemarbete", "--role", "investigator", "--key", holder.publicKey,
                "--unit", "Hemtjänst",
            ])
        let document = pseudoRandomBytes(documentBytes, seed: 0x51_6E_A1)
        let input = try dir.write("in/akt.bin", document)
        try world.must(
            registrar, ["archive", input, "--diarienummer", caseID, "--unit", "Hemtjänst", "--received", "2025-03-01"])
        try world.must(officer, ["assign", caseID, holder.keyID])
        try FileManager.default.createDirectory(atPath: dir.path("out"), withIntermediateDirectories: true)
        return Setup(world: world, officer: officer, holder: holder, document: document)
    }

    // MARK: - Interrupted output

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func anInterruptedReadLeavesNoPlaintext(signal: Int32) throws {
        try withTemporaryDirectory { dir in
            let s = try Self.setUp(dir)
            let out = dir.path("out/akt.bin")
            let r = try Self.interrupt(
                s.world, s.officer, ["read", Self.caseID, "--out", out], signal: signal,
                partialIn: dir.path("out"), prefix: "akt.bin.partial-")
            #expect(r.signal == signal, "the read should end by signal \(signal): \(r.describe)")
            #expect(
                TemporaryDirectory.listing(dir.path("out")).isEmpty,
                "plaintext left behind: \(TemporaryDirectory.listing(dir.path("out")))")
        }
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func anInterruptedOpenLeavesNoPlaintext(signal: Int32) throws {
        try withTemporaryDirectory { dir in
            let s = try Self.setUp(dir)
            let package = dir.path("paket.svco")
            try s.world.must(s.holder, ["checkout", Self.caseID, "--out", package, "--expires", "1d"])
            let into = dir.path("out/hemma")
            let r = try Self.interrupt(
                s.world, s.holder, ["open", package, "--out", into], signal: signal, partialIn: into, prefix: ".")
            #expect(r.signal == signal, "open should end by signal \(signal): \(r.describe)")
            #expect(
                TemporaryDirectory.listing(into).isEmpty, "plaintext left behind: \(TemporaryDirectory.listing(into))")
        }
    }

    /// The control: SIGKILL cannot be caught, so the partial file stays — private, never wider
    /// than 0600 — and the interrupt tests above are not passing for want of a partial file.
    @Test func sigkillLeavesOnlyAPrivatePartialFile() throws {
        try withTemporaryDirectory { dir in
            let s = try Self.setUp(dir)
            let out = dir.path("out/akt.bin")
            let r = try Self.interrupt(
                s.world, s.officer, ["read", Self.caseID, "--out", out], signal: SIGKILL,
                partialIn: dir.path("out"), prefix: "akt.bin.partial-")
            #expect(r.signal == SIGKILL, "\(r.describe)")
            let left = TemporaryDirectory.listing(dir.path("out"))
            #expect(left.count == 1 && left.allSatisfy { $0.hasPrefix("akt.bin.partial-") }, "left: \(left)")
            for name in left {
                var st = stat()
                #expect(stat(dir.path("out/" + name), &st) == 0)
                #expect(st.st_mode & 0o777 == 0o600, "the partial file is \(String(st.st_mode & 0o777, radix: 8))")
            }
            #expect(!FileManager.default.fileExists(atPath: out), "the output appeared under its own name")
        }
    }

    /// Runs the command under strace with every `write` delayed, waits until a file named
    /// `prefix…` in `partialIn` holds at least one chunk, then sends `signal` to the command.
    static func interrupt(
        _ world: CrashWorld, _ who: CrashPerson, _ args: [String], signal: Int32, partialIn: String, prefix: String
    ) throws -> ChildResult {
        let strace = try CrashKit.requireStrace()
        let tracer = try Child.spawn(
            strace,
            [
                "-f", "-qq", "-o", "/dev/null", "-e", "trace=write", "-e", "inject=write:delay_enter=40000", "--",
                world.binary, "--vault", world.vault, "--identity", who.path,
            ] + args,
            env: world.environment, io: world.dir.path(".io-interrupt"))
        var signalled = false
        defer { if !signalled { kill(tracer.pid, SIGKILL) } }
        // A guard against a hang, not a timing assertion: the wait ends when the file has data.
        let giveUp = Date().addingTimeInterval(120)
        var command: pid_t?
        while Date() < giveUp {
            command = command ?? childProcess(of: tracer.pid)
            if let command, let size = partialSize(in: partialIn, prefix: prefix), size >= 64 * 1024 {
                signalled = kill(command, signal) == 0
                break
            }
            var status: Int32 = 0
            if waitpid(tracer.pid, &status, WNOHANG) == tracer.pid {
                signalled = true
                throw TestFailure("\(args[0]) ended before it wrote a partial file (status \(status))")
            }
            usleep(5_000)
        }
        guard signalled else { throw TestFailure("\(args[0]) wrote no partial file in \(partialIn)") }
        return try Child.wait(tracer)
    }

    /// The size of the first file in `dir` whose name starts with `prefix`.
    static func partialSize(in dir: String, prefix: String) -> Int64? {
        for name in TemporaryDirectory.listing(dir) where name.hasPrefix(prefix) {
            var st = stat()
            if stat(dir + "/" + name, &st) == 0 { return Int64(st.st_size) }
        }
        return nil
    }

    /// The process strace started (the one whose parent is `parent`).
    static func childProcess(of parent: pid_t) -> pid_t? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent { return pid }
        }
        return nil
    }

    // MARK: - Private files from the first byte

    /// One file creation as strace printed it.
    struct Creation: CustomStringConvertible {
        var path: String
        var flags: Set<String>
        var mode: String
        var description: String { "\(path) \(flags.sorted().joined(separator: "|")) \(mode)" }
    }

    @Test func everyPrivateFileIsCreatedExclusivelyAtMode0600() throws {
        try withTemporaryDirectory { dir in
            _ = try CrashKit.requireStrace()
            var world = try CrashWorld(dir: dir)
            world.vault = dir.path("ny.sarah")
            var creations: [Creation] = []
            var chmods: [String] = []
            func traced(_ args: [String], who: CrashPerson?) throws -> ChildResult {
                let (r, c, m) = try Self.traceCreations(world, who, args)
                creations += c
                chmods += m
                return r
            }
            let keygen = try traced(
                ["keygen", "--name", "Olle Ombud", "--out", dir.path("officer.id"), "--kdf", "interactive", "--json"],
                who: nil)
            try #require(keygen.status == 0, "keygen: \(keygen.describe)")
            let officer = CrashPerson(
                path: dir.path("officer.id"), keyID: "", publicKey: "")
            let recovery = dir.path("recovery-key.txt")
            try #require(try traced(["init", "--recovery-out", recovery], who: officer).status == 0)
            let registrar = try world.keygen("Rut Registrator", file: "registrar.id")
            let holder = try world.keygen("Jon Hemarbete", file: "holder.id")
            let auditor = try world.keygen("Greta Granskare", file: "auditor.id")
            try world.must(
                officer,
                ["member", "add", "--name", "Rut Registrator", "--role", "registrar", "--key", registrar.publicKey])
            try world.must(
                officer,
                ["member", "add", "--name", "Greta Granskare", "--role", "auditor", "--key", auditor.publicKey])
            try world.must(
                officer,
                [
                    "member", "add", "--name", "Jon Hemarbete", "--role", "investigator", "--key", holder.publicKey,
                    "--unit", "Hemtjänst",
                ])
            let input = try dir.write("in/akt.txt", Array("Anmälan om brist i bemanningen.\n".utf8))
            try world.must(
                registrar,
                ["archive", input, "--diarienummer", Self.caseID, "--unit", "Hemtjänst", "--received", "2025-03-01"])
            try world.must(officer, ["assign", Self.caseID, holder.keyID])
            let outputs = [
                (officer, ["read", Self.caseID, "--out", dir.path("last.txt")]),
                (holder, ["checkout", Self.caseID, "--out", dir.path("paket.svco"), "--expires", "1d"]),
                (holder, ["open", dir.path("paket.svco"), "--out", dir.path("hemma")]),
                (officer, ["backup", dir.path("kopia.sarah")]),
                (auditor, ["audit", "review", "--out", dir.path("granskning.json")]),
            ]
            for (who, args) in outputs {
                let r = try traced(args, who: who)
                try #require(r.status == 0, "\(args[0]): \(r.describe)")
            }
            let checkouts = try world.must(officer, ["checkouts", "--json"])
            let id = try #require(
                (try JSONSerialization.jsonObject(with: Data(checkouts.stdout)) as? [[String: Any]])?.first?["id"]
                    as? String, "no checkout id in \(checkouts.out)")
            let lost = try traced(["lost", id, "--out", dir.path("incident.txt")], who: officer)
            try #require(lost.status == 0, "lost: \(lost.describe)")

            // The vault's own files: the file is made by us (exclusive, 0600); SQLite then opens
            // it (it exists: no mode applies) and its journal at the file's own mode, 0600.
            let vaultFiles = [world.vault, dir.path("kopia.sarah")].map(Self.canonical)
            func isSQLiteOpen(_ c: Creation) -> Bool {
                vaultFiles.contains { c.path == $0 || c.path == $0 + "-journal" } && !c.flags.contains("O_EXCL")
            }
            for c in creations where !isSQLiteOpen(c) {
                #expect(
                    c.flags.isSuperset(of: ["O_CREAT", "O_EXCL", "O_NOFOLLOW"]) && c.mode == "0600",
                    "created wider or not exclusively: \(c)")
            }
            for c in creations where isSQLiteOpen(c) && c.path.hasSuffix("-journal") {
                #expect(c.mode == "0600", "journal created at \(c.mode)")
            }
            #expect(chmods.isEmpty, "files or folders made private after the fact: \(chmods)")
            var folder = stat()
            #expect(stat(dir.path("hemma"), &folder) == 0 && folder.st_mode & 0o777 == 0o700)
            // Not vacuous: each private file was seen being created.
            let expected = [
                dir.path("officer.id"), recovery, world.vault, dir.path("kopia.sarah"),
                dir.path("granskning.json"), dir.path("incident.txt"),
            ].map(Self.canonical)
            let seen = Set(creations.map(\.path))
            for path in expected { #expect(seen.contains(path), "no creation of \(path) seen in: \(seen.sorted())") }
            // Outputs that appear only when complete: a private temporary, linked into place.
            for prefix in ["last.txt.partial-", "paket.svco.partial-", "hemma/.akt.txt.partial-"] {
                #expect(seen.contains { $0.hasPrefix(Self.canonical(dir.path(prefix))) }, "no \(prefix)… in \(seen)")
            }
            var st = stat()
            #expect(stat(recovery, &st) == 0 && st.st_mode & 0o777 == 0o600)
        }
    }

    /// `audit review --out` and `lost --out` refuse a path that exists and leave it as it was.
    @Test func reviewAndIncidentOutputsNeverOverwrite() throws {
        try withTemporaryDirectory { dir in
            let s = try Self.setUp(dir)
            try s.world.must(s.holder, ["checkout", Self.caseID, "--out", dir.path("paket.svco"), "--expires", "1d"])
            let checkouts = try s.world.must(s.officer, ["checkouts", "--json"])
            let id = try #require(
                (try JSONSerialization.jsonObject(with: Data(checkouts.stdout)) as? [[String: Any]])?.first?["id"]
                    as? String)
            let existing = Array("mina anteckningar\n".utf8)
            let target = try dir.write("out/finns.txt", existing)
            for args in [["audit", "review", "--out", target], ["lost", id, "--out", target]] {
                let r = try s.world.run(s.officer, args)
                expectCleanFailure(r, args.prefix(2).joined(separator: " "))
                #expect(r.err.contains("already exists"), "\(args[0]): \(r.err)")
                #expect(try readBytes(target) == existing, "\(args[0]) changed the existing file")
            }
        }
    }

    /// Runs `args` (as `who`, when given) under strace, and returns the file creations and the
    /// chmod-family calls it made, from every thread.
    static func traceCreations(_ world: CrashWorld, _ who: CrashPerson?, _ args: [String]) throws -> (
        ChildResult, [Creation], [String]
    ) {
        let strace = try CrashKit.requireStrace()
        let log = world.dir.path(".creations-\(UUID().uuidString)")
        defer { unlink(log) }
        let identity = who.map { ["--vault", world.vault, "--identity", $0.path] } ?? []
        let r = try Child.run(
            strace,
            [
                "-f", "-qq", "-s", "4096", "-o", log, "-e",
                "trace=open,openat,creat,chmod,fchmod,fchmodat,rename,renameat,renameat2", "--", world.binary,
            ] + identity + args,
            env: world.environment, io: world.dir.path(".io-\(UUID().uuidString)"))
        var creations: [Creation] = []
        var chmods: [String] = []
        let cwd = canonical(FileManager.default.currentDirectoryPath)
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let call = line.drop { $0 != " " }.drop { $0 == " " }
            if call.hasPrefix("chmod(") || call.hasPrefix("fchmod(") || call.hasPrefix("fchmodat(") {
                chmods.append(String(call))
                continue
            }
            guard call.hasPrefix("open(") || call.hasPrefix("openat(") || call.hasPrefix("creat("),
                let q1 = call.firstIndex(of: "\""), let q2 = call[call.index(after: q1)...].firstIndex(of: "\"")
            else { continue }
            var path = String(call[call.index(after: q1)..<q2])
            let rest = call[call.index(after: q2)...].split(separator: ")").first ?? ""
            let parts = rest.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let flags = Set((parts.first ?? "").split(separator: "|").map(String.init))
            guard flags.contains("O_CREAT") || call.hasPrefix("creat(") else { continue }
            if !path.hasPrefix("/") { path = cwd + "/" + path }
            creations.append(Creation(path: canonical(path), flags: flags, mode: parts.count > 1 ? parts[1] : "?"))
        }
        return (r, creations, chmods)
    }

    /// The path with its directory resolved (the file need not exist).
    static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        guard let dir = realpath(url.deletingLastPathComponent().path, nil) else { return path }
        defer { free(dir) }
        return String(cString: dir) + "/" + url.lastPathComponent
    }
}

extension TemporaryDirectory {
    /// The names in any directory (empty if it does not exist).
    static func listing(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? []
    }
}
