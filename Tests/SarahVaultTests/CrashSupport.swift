import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

// Shared by the crash, I/O-error, full-disk and concurrency tests (issue 6, items 1–3): a child
// process runner that can be killed or fault-injected, a small world of people and a vault on
// the command line, and raw looks at the vault file that change nothing in it.

// MARK: - Child processes

/// How a child process ended, with what it wrote.
struct ChildResult {
    /// The exit status, when it exited.
    var status: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?
    var stdout: [UInt8]
    var stderr: [UInt8]

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
    var errLines: [String] { err.split(separator: "\n").map(String.init) }
    var killed: Bool { signal == SIGKILL }
    var describe: String {
        let how = signal.map { "signal \($0)" } ?? "exit \(status ?? -1)"
        return "\(how); stderr: \(err.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
}

/// Runs programs with `posix_spawn` and `waitpid`: safe from several threads at once, stdout
/// and stderr to files (no pipe to fill), stdin from /dev/null.
enum Child {
    /// A started child; `wait` collects it.
    struct Running {
        var pid: pid_t
        var io: String
    }

    /// Starts `program`; `extraFD`, if given, becomes the child's descriptor 3.
    static func spawn(_ program: String, _ args: [String], env: [String: String], io: String, extraFD: Int32? = nil)
        throws -> Running
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath(io), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath(io), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let extraFD { posix_spawn_file_actions_adddup2(&actions, extraFD, 3) }
        // SIGTERM, SIGINT and SIGHUP at their defaults and unblocked, whatever the test runner
        // was started with (a background job ignores SIGINT): the interrupt tests send them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, sig) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([program] + args).map { strdup($0) }
        let envp = env.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = (argv + [nil]).withUnsafeBufferPointer { a in
            (envp + [nil]).withUnsafeBufferPointer { e in
                posix_spawn(
                    &pid, program, &actions, &attributes, UnsafeMutablePointer(mutating: a.baseAddress!),
                    UnsafeMutablePointer(mutating: e.baseAddress!))
            }
        }
        guard rc == 0 else { throw TestFailure("cannot start \(program): \(String(cString: strerror(rc)))") }
        return Running(pid: pid, io: io)
    }

    static func wait(_ child: Running) throws -> ChildResult {
        defer {
            unlink(stdoutPath(child.io))
            unlink(stderrPath(child.io))
        }
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestFailure("waitpid: \(String(cString: strerror(errno)))") }
        }
        let low = status & 0x7f
        return ChildResult(
            status: low == 0 ? (status >> 8) & 0xff : nil, signal: low != 0 && low != 0x7f ? low : nil,
            stdout: (try? readBytes(stdoutPath(child.io))) ?? [], stderr: (try? readBytes(stderrPath(child.io))) ?? [])
    }

    static func run(_ program: String, _ args: [String], env: [String: String], io: String) throws -> ChildResult {
        try wait(try spawn(program, args, env: env, io: io))
    }

    static func stdoutPath(_ io: String) -> String { io + ".out" }
    static func stderrPath(_ io: String) -> String { io + ".err" }

    /// The first executable called `name` on PATH (and the usual system directories).
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

// MARK: - The binary and strace

enum CrashKit {
    static let pass = "lösenord för kraschprov"

    /// `sarah-vault`: $SARAH_VAULT_BIN, else beside the test bundle (same scratch path), else
    /// in the package's usual build directories — as `CLITests` finds it.
    static let binary: String? = sarahVaultBinary()

    static func requireBinary() throws -> String {
        try #require(
            binary, "sarah-vault binary not found: build with 'swift build --build-tests' or set SARAH_VAULT_BIN")
    }

    /// strace, if it is installed and may trace here (ptrace can be forbidden in a container).
    static let strace: String? = {
        guard let path = Child.which("strace") else { return nil }
        let probe = try? Child.run(
            path, ["-f", "-qq", "-o", "/dev/null", "-e", "trace=none", "/bin/true"], env: [:],
            io: NSTemporaryDirectory() + "/sarahvault-strace-probe-\(getpid())")
        return probe?.status == 0 ? path : nil
    }()

    static let straceMissing =
        "strace is not on PATH (or may not trace here): add strace to DEB_PKGS in the Makefile"

    /// Skips the running test with a printed reason when strace is unusable.
    static func requireStrace() throws -> String {
        guard let strace else {
            print("crash: skipped: \(straceMissing)")
            try Test.cancel(Comment(rawValue: straceMissing))
        }
        return strace
    }
}

// MARK: - People and a vault on the command line

/// A person's identity file, with the key id and public key `keygen` printed.
struct CrashPerson {
    var path: String
    var keyID: String
    var publicKey: String
}

/// Where a command writes what it hands out: a file it is told (`--out`), or stdout.
enum CrashOutput { case file, stdout, stderr }

/// A directory with identities and a vault, driven through the binary.
struct CrashWorld {
    let dir: TemporaryDirectory
    let binary: String
    var vault: String

    init(dir: TemporaryDirectory, vault: String? = nil) throws {
        self.dir = dir
        self.binary = try CrashKit.requireBinary()
        self.vault = vault ?? dir.path("vault.sarah")
    }

    var environment: [String: String] {
        ["HOME": dir.path, "PATH": "/usr/bin:/bin", "SARAH_VAULT_PASSPHRASE": CrashKit.pass, "LC_ALL": "C.UTF-8"]
    }

    private func ioPath() -> String { dir.path(".io-\(UUID().uuidString)") }

    /// Runs `sarah-vault --vault V --identity P args…`.
    func run(_ who: CrashPerson, _ args: [String], vault: String? = nil) throws -> ChildResult {
        try Child.run(
            binary, ["--vault", vault ?? self.vault, "--identity", who.path] + args, env: environment, io: ioPath())
    }

    /// Runs the same command under strace with `strace` options (injections) before it;
    /// `only` narrows tracing (and so injection) to the calls on one output.
    func runTraced(
        _ straceOptions: [String], _ who: CrashPerson, _ args: [String], vault: String? = nil,
        only: (CrashOutput, String)? = nil
    ) throws -> ChildResult {
        let strace = try CrashKit.requireStrace()
        let io = ioPath()
        return try Child.run(
            strace,
            ["-f", "-qq", "-o", "/dev/null"] + Self.pathFilter(only, io: io) + straceOptions
                + ["--", binary, "--vault", vault ?? self.vault, "--identity", who.path] + args,
            env: environment, io: io)
    }

    private static func pathFilter(_ only: (CrashOutput, String)?, io: String) -> [String] {
        switch only?.0 {
        case nil: return []
        case .file: return ["-P", canonical(only!.1)]
        case .stdout: return ["-P", canonical(Child.stdoutPath(io))]
        case .stderr: return ["-P", canonical(Child.stderrPath(io))]
        }
    }

    /// The path as the kernel reports an open file's (strace -P compares with that): the
    /// directory resolved, no doubled slashes. The file itself need not exist yet.
    private static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        guard let dir = realpath(url.deletingLastPathComponent().path, nil) else { return path }
        defer { free(dir) }
        return String(cString: dir) + "/" + url.lastPathComponent
    }

    /// The calls to `syscalls` the command's main thread makes, in order, with their
    /// arguments (one clean run under strace on `vault`, a throwaway copy). strace counts
    /// `when=N` per thread; SQLite does all its file work on the calling thread.
    func traceCalls(
        _ syscalls: [String], _ who: CrashPerson, _ args: [String], vault: String, only: (CrashOutput, String)? = nil
    ) throws -> [String] {
        let log = dir.path(".strace-\(UUID().uuidString)")
        defer { unlink(log) }
        let strace = try CrashKit.requireStrace()
        let io = ioPath()
        // execve first: its thread is the main one.
        let r = try Child.run(
            strace,
            ["-f", "-qq", "-o", log] + Self.pathFilter(only, io: io)
                + [
                    "-e", "trace=" + (["execve"] + syscalls).joined(separator: ","), "--", binary, "--vault", vault,
                    "--identity", who.path,
                ] + args,
            env: environment, io: io)
        guard r.status == 0 else { throw TestFailure("dry run of \(args.first ?? "?") failed: \(r.describe)") }
        var main: Substring?
        var calls: [String] = []
        for line in (try String(contentsOfFile: log, encoding: .utf8)).split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let tid = line[..<space]
            let call = line[space...].drop { $0 == " " }
            if main == nil && call.hasPrefix("execve(") { main = tid }
            // With a path filter, execve is filtered out too; only the output's writer remains.
            guard only != nil || tid == main, syscalls.contains(where: { call.hasPrefix($0 + "(") }) else { continue }
            calls.append(String(call))
        }
        return calls
    }

    func keygen(_ name: String, file: String) throws -> CrashPerson {
        let path = dir.path(file)
        let r = try Child.run(
            binary, ["keygen", "--name", name, "--out", path, "--kdf", "interactive", "--json"], env: environment,
            io: ioPath())
        guard r.status == 0,
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any],
            let keyID = json["keyId"] as? String, let publicKey = json["publicKey"] as? String
        else { throw TestFailure("keygen \(name) failed: \(r.describe)") }
        return CrashPerson(path: path, keyID: keyID, publicKey: publicKey)
    }

    /// Runs a command that must succeed.
    @discardableResult
    func must(_ who: CrashPerson, _ args: [String], vault: String? = nil) throws -> ChildResult {
        let r = try run(who, args, vault: vault)
        guard r.status == 0 else { throw TestFailure("\(args.prefix(2).joined(separator: " ")) failed: \(r.describe)") }
        return r
    }

    func initVault(officer: CrashPerson, members: [(String, String, CrashPerson)], vault: String? = nil) throws {
        try must(officer, ["init"], vault: vault)
        for (name, role, p) in members {
            try must(officer, ["member", "add", "--name", name, "--role", role, "--key", p.publicKey], vault: vault)
        }
    }
}

// MARK: - Looking at a vault file

/// Counts and checks straight from the SQLite file. Opening it rolls back a hot journal left
/// by a killed writer, as the next `sarah-vault` would; nothing else is written.
struct VaultFile {
    let path: String

    var journal: String { path + "-journal" }
    var hasJournal: Bool { FileManager.default.fileExists(atPath: journal) }

    func bytes() throws -> [UInt8] { try readBytes(path) }

    /// A journal SQLite ignores: empty, or its header never written (a hot one starts with
    /// its magic number, and the next open rolls it back).
    func journalIsCold() throws -> Bool {
        let head = try readBytes(journal).prefix(8)
        return head.allSatisfy { $0 == 0 }
    }

    func withDatabase<R>(_ body: (SQLiteDatabase) throws -> R) throws -> R {
        let db = try SQLiteDatabase(path: path, create: false)
        return try body(db)
    }

    func integrity() throws -> String {
        try withDatabase { try $0.firstRow("PRAGMA integrity_check")?.first?.string ?? "?" }
    }

    func count(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int64 {
        try withDatabase { try $0.firstRow(sql, values)?.first?.int ?? -1 }
    }

    func auditCount() throws -> Int64 { try count("SELECT count(*) FROM audit") }

    /// Rows that belong to nothing: chunks without a version, versions without an entry.
    func orphans() throws -> Int64 {
        try count(
            """
            SELECT (SELECT count(*) FROM chunks WHERE vid NOT IN (SELECT vid FROM versions))
                 + (SELECT count(*) FROM versions WHERE entry_seq NOT IN (SELECT seq FROM audit))
                 + (SELECT count(*) FROM documents WHERE case_id NOT IN (SELECT case_id FROM cases))
                 + (SELECT count(*) FROM case_keys WHERE case_id NOT IN (SELECT case_id FROM cases))
            """)
    }

    func caseExists(_ caseID: String) throws -> Bool {
        try count("SELECT count(*) FROM cases WHERE case_id = ?", [.text(caseID)]) > 0
    }

    func rows(of caseID: String) throws -> Int64 {
        try count(
            """
            SELECT (SELECT count(*) FROM cases WHERE case_id = ?1) + (SELECT count(*) FROM documents WHERE case_id = ?1)
                 + (SELECT count(*) FROM versions WHERE case_id = ?1) + (SELECT count(*) FROM case_keys WHERE case_id = ?1)
            """, [.text(caseID)])
    }

    func versionCount(_ caseID: String) throws -> Int64 {
        try count("SELECT count(*) FROM versions WHERE case_id = ?", [.text(caseID)])
    }

    func holders(_ caseID: String) throws -> [String] {
        try withDatabase {
            try $0.rows("SELECT key_id FROM case_keys WHERE case_id = ? ORDER BY key_id", [.text(caseID)])
                .compactMap { $0.first?.string }
        }
    }

    func checkoutCount() throws -> Int64 { try count("SELECT count(*) FROM checkouts") }

    /// Copies the file (and nothing else) to `to`.
    func copy(to: String) throws {
        unlink(to)
        unlink(to + "-journal")
        try FileManager.default.copyItem(atPath: path, toPath: to)
    }
}

/// Reads one document through the library into memory (the read is logged, as any read).
func readDocumentBytes(
    vault: String, as identity: Identity, caseID: String, doc: String, version: Int64? = nil, scratch: String
)
    throws -> [UInt8]
{
    let out = scratch + "/read-\(UUID().uuidString)"
    defer { unlink(out) }
    let v = try Vault.open(at: vault, identity: identity)
    try v.read(caseID: caseID, document: doc, version: version, to: try PlaintextSink.file(out))
    return try readBytes(out)
}

/// Deterministic bytes that do not compress and differ per seed.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        out[i] = UInt8(truncatingIfNeeded: x)
    }
    return out
}

/// `n` points spread evenly over 1…`total` (all of them when `total` ≤ `n`), first and last included.
func spreadPoints(_ total: Int, _ n: Int) -> [Int] {
    guard total > n else { return total > 0 ? Array(1...total) : [] }
    guard n > 1 else { return [1] }
    return Array(Set((0..<n).map { 1 + $0 * (total - 1) / (n - 1) })).sorted()
}

/// The one error line the CLI prints for a failure (`sarah-vault: error: …`), and the rest of
/// stderr must be hints: no stack trace, no second error.
func expectCleanFailure(_ r: ChildResult, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let errors = r.errLines.filter { $0.hasPrefix("sarah-vault: error: ") }
    let other = r.errLines.filter { !$0.hasPrefix("sarah-vault: error: ") && !$0.hasPrefix("hint: ") }
    #expect(errors.count == 1 && other.isEmpty, "\(context): stderr was: \(r.err)", sourceLocation: sourceLocation)
}
