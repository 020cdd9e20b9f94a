import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// The command line under hostile files (issue 6, item 6): runs the built `sarah-vault` with a
/// deadline, and judges each run by the contract in `shared/design/CLI.md` — exit 2 for bad
/// input (1 only for a refusal or a failed verification), exactly one `sarah-vault: error:` line
/// on stderr (then only `hint:` lines), never a signal or a hang, and the vault untouched.
enum Hostile {
    /// A run that has not ended by then counts as a hang.
    static let deadline: TimeInterval = 20

    /// The binary: $SARAH_VAULT_BIN, else beside the test bundle (same build), else in the
    /// package's usual build directories (as `CLITests` finds it).
    static let binary: String? = sarahVaultBinary()

    static let passphrase = "fientlig fil, lugnt svar"

    struct Run: CustomStringConvertible {
        var args: [String]
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var seconds: Double
        var stdout: [UInt8]
        var stderr: [UInt8]

        var err: String { String(decoding: stderr, as: UTF8.self) }
        var errLines: [Substring] { err.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
        var description: String {
            "sarah-vault \(args.joined(separator: " ")) → "
                + (timedOut
                    ? "still running after \(Int(Hostile.deadline)) s"
                    : signalled ? "signal \(status)" : "exit \(status)")
                + String(format: " in %.1f s; stderr: %@", seconds, err.debugDescription)
        }
    }

    /// Runs the binary in `dir` with the test passphrase in the environment, killing it at the
    /// deadline.
    static func run(_ args: [String], in dir: TemporaryDirectory, environment: [String: String] = [:]) throws -> Run {
        let bin = try #require(
            binary, "sarah-vault binary not found: build with 'swift build --build-tests' or set SARAH_VAULT_BIN")
        let io = dir.path(".io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: io, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: io) }
        FileManager.default.createFile(atPath: io + "/out", contents: nil)
        FileManager.default.createFile(atPath: io + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: io + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: io + "/err"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        p.environment = ["HOME": dir.path, "PATH": "/usr/bin:/bin", "SARAH_VAULT_PASSPHRASE": passphrase]
            .merging(environment) { $1 }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let started = Date()
        try p.run()
        var timedOut = false
        while p.isRunning {
            if Date().timeIntervalSince(started) > deadline {
                timedOut = true
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                break
            }
            usleep(10_000)
        }
        p.waitUntilExit()
        try out.close()
        try err.close()
        return Run(
            args: args, status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
            timedOut: timedOut, seconds: Date().timeIntervalSince(started), stdout: try readBytes(io + "/out"),
            stderr: try readBytes(io + "/err"))
    }

    /// The contract for a failed run: no hang, no signal, an allowed exit status, exactly one
    /// error line and after it only hints, and no control character that could redraw the
    /// terminal (a hostile file's bytes echoed in a message).
    static func expectCleanFailure(
        _ run: Run, exits: Set<Int32> = [2], _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let what = "\(label): \(run)"
        #expect(!run.timedOut, "hang: \(what)", sourceLocation: sourceLocation)
        #expect(!run.signalled && run.status < 128, "crash: \(what)", sourceLocation: sourceLocation)
        guard !run.timedOut, !run.signalled else { return }
        #expect(exits.contains(run.status), "exit status: \(what)", sourceLocation: sourceLocation)
        let lines = run.errLines
        #expect(
            lines.filter { $0.hasPrefix("sarah-vault: error: ") }.count == 1, "error lines: \(what)",
            sourceLocation: sourceLocation)
        #expect(
            lines.first?.hasPrefix("sarah-vault: error: ") == true, "first stderr line: \(what)",
            sourceLocation: sourceLocation)
        #expect(
            lines.dropFirst().allSatisfy { $0.hasPrefix("hint: ") }, "lines after the error: \(what)",
            sourceLocation: sourceLocation)
        #expect(
            !run.err.unicodeScalars.contains {
                ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f || (0x80..<0xa0).contains($0.value)
            },
            "control characters on stderr: \(what)", sourceLocation: sourceLocation)
    }
}

/// One person, one vault with one archived case, a checkout package of it, a checkpoint and the
/// recovery key, all made by the CLI in a fresh directory; and the means to make hostile files.
struct HostileWorld {
    let dir: TemporaryDirectory
    let identity: String
    let vault: String
    let package: String
    let checkpoint: String
    let recoveryKey: String
    static let caseID = "ASN 2025/0042"

    init(_ dir: TemporaryDirectory) throws {
        self.dir = dir
        identity = dir.path("officer.id")
        vault = dir.path("vault.sarah")
        package = dir.path("case.pkg")
        checkpoint = dir.path("log.checkpoint")
        recoveryKey = dir.path("recovery.txt")
        try dir.write("report.txt", Array("Avvikelserapport: fallolycka i duschen.\n".utf8))
        for args in [
            ["keygen", "--name", "Olivia Ombud", "--out", identity, "--kdf", "interactive"],
            ["init", "--recovery-out", recoveryKey],
            [
                "archive", dir.path("report.txt"), "--diarienummer", Self.caseID, "--unit", "Hemtjänst", "--received",
                "2025-01-15",
            ],
            ["checkout", Self.caseID, "--out", package, "--expires", "3d"],
            ["audit", "checkpoint", "--out", checkpoint],
        ] {
            let r = try run(args)
            try #require(r.status == 0, "setup failed: \(r)")
        }
    }

    /// `sarah-vault --vault V --identity I ARGS…`.
    func run(_ args: [String], vault: String? = nil, identity: String? = nil) throws -> Hostile.Run {
        try Hostile.run(["--vault", vault ?? self.vault, "--identity", identity ?? self.identity] + args, in: dir)
    }

    /// Runs a command that must fail on a hostile file and checks that it failed cleanly and
    /// left the vault (and, for a regular file, the hostile file) byte for byte as it was.
    func expectRefused(
        _ args: [String], _ label: String, exits: Set<Int32> = [2], vault: String? = nil, identity: String? = nil,
        vaultUnchanged: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let v = vault ?? self.vault
        let before = try? readBytes(v)
        let inputs = args.filter { $0.hasPrefix(dir.path) && isRegularFile($0, atMost: 16 << 20) && $0 != v }
        let inputsBefore = try inputs.map { try readBytes($0) }
        let r = try run(args, vault: v, identity: identity)
        Hostile.expectCleanFailure(r, exits: exits, label, sourceLocation: sourceLocation)
        if vaultUnchanged {
            #expect((try? readBytes(v)) == before, "\(label): the vault changed: \(r)", sourceLocation: sourceLocation)
            #expect(
                !FileManager.default.fileExists(atPath: v + "-journal"), "\(label): a journal was left",
                sourceLocation: sourceLocation)
        }
        for (path, bytes) in zip(inputs, inputsBefore) {
            #expect(
                (try? readBytes(path)) == bytes, "\(label): the input \(path) changed", sourceLocation: sourceLocation)
        }
    }

    // MARK: hostile files

    /// Writes `bytes` to a new file named after `label` and returns its path.
    func file(_ label: String, _ bytes: [UInt8]) throws -> String {
        try dir.write("hostile-" + label.replacingOccurrences(of: " ", with: "-"), bytes)
    }

    /// A sparse file of `size` zero bytes: huge on paper, nothing on disk.
    func sparse(_ label: String, size: Int64) throws -> String {
        let path = try file(label, [])
        guard truncate(path, off_t(size)) == 0 else { throw TestFailure("cannot size \(path)") }
        return path
    }

    func directory(_ label: String) throws -> String {
        let path = dir.path("hostile-dir-" + label)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The files every reader must refuse cleanly whatever its format: nothing, a directory, an
    /// endless file, a sparse file far over any limit, random bytes, and bytes that are not UTF-8.
    func commonHostileFiles(_ what: String) throws -> [(String, String)] {
        var random = SystemRandomNumberGenerator()
        return [
            ("\(what): empty", try file("\(what)-empty", [])),
            ("\(what): a directory", try directory(what)),
            ("\(what): /dev/zero", "/dev/zero"),
            ("\(what): 256 MiB sparse", try sparse("\(what)-sparse", size: 256 << 20)),
            (
                "\(what): random bytes",
                try file("\(what)-random", (0..<3000).map { _ in UInt8.random(in: 0...255, using: &random) })
            ),
            (
                "\(what): not UTF-8",
                try file(
                    "\(what)-latin1",
                    Array("S\u{e4}kerhet ".utf8).map { $0 >= 0x80 ? 0xe4 : $0 } + [0xff, 0xfe, 0xc0, 0x80])
            ),
        ]
    }

    func isRegularFile(_ path: String, atMost size: Int64) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && Int64(st.st_size) <= size
    }

    /// `bytes` with the bytes from `offset` overwritten by `new`.
    static func patch(_ bytes: [UInt8], at offset: Int, _ new: [UInt8]) -> [UInt8] {
        var out = bytes
        out.replaceSubrange(offset..<min(offset + new.count, out.count), with: new)
        return out
    }

    static func bigEndian(_ v: UInt64) -> [UInt8] {
        (0..<8).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }
}
