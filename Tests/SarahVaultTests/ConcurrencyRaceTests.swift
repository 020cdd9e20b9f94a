import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 6, item 3, the interleavings a load test only hits by luck: one command paused just
/// before its write transaction — after everything it read to prepare it — while another runs
/// to its end, then let go. The pause is deterministic: strace stops the first command
/// (SIGSTOP) at the lock call that ends its last read (found in a dry run) and reports the stop
/// on a pipe; the test then runs the second command and sends SIGCONT. Each pair must end as
/// if the two had run one after the other.
@Suite(.serialized) struct ConcurrencyRaceTests {
    /// The opposite order works: a revoke paused while a document is added reseals the new
    /// version too, inside its own transaction.
    @Test func revokeDuringAnAddResealsTheNewVersion() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            let f = try bench.copy("race.sarah")
            let dry = try bench.copy("race-dry.sarah")
            defer {
                bench.remove(f)
                bench.remove(dry)
            }
            let doc = Array("Tillägg medan nyckeln byts.\n".utf8)
            let input = try dir.write("in/race/tillagg.txt", doc)
            var world = bench.world
            world.vault = f.path
            let (revoke, add) = try world.interleave(
                first: (bench.officer, ["revoke", CrashBench.caseA, bench.investigator.keyID]),
                second: (bench.officer, ["add", CrashBench.caseA, input]), dryVault: dry.path)
            print("race: revoke paused before its transaction, add ran: add \(add.describe); revoke \(revoke.describe)")
            #expect(add.status == 0, "add: \(add.describe)")
            #expect(revoke.status == 0, "revoke: \(revoke.describe)")
            #expect(try bench.read(f, bench.officerID, CrashBench.caseA, "tillagg.txt") == doc)
            #expect(try bench.read(f, bench.officerID, CrashBench.caseA, "big.bin") == bench.big)
            #expect(throws: VaultError.self) {
                _ = try bench.read(f, bench.investigatorID, CrashBench.caseA, "tillagg.txt")
            }
            #expect(try Vault.open(at: f.path, identity: bench.officerID).verify().ok)
        }
    }

    @Test
    func addDuringARevokeKeepsTheCaseReadable() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            let f = try bench.copy("race.sarah")
            let dry = try bench.copy("race-dry.sarah")
            defer {
                bench.remove(f)
                bench.remove(dry)
            }
            let doc = Array("Tillägg under pågående återkallelse.\n".utf8)
            let input = try dir.write("in/race/tillagg.txt", doc)
            var world = bench.world
            world.vault = f.path
            let (add, revoke) = try world.interleave(
                first: (bench.officer, ["add", CrashBench.caseA, input]),
                second: (bench.officer, ["revoke", CrashBench.caseA, bench.investigator.keyID]), dryVault: dry.path)
            print("race: add paused before its transaction, revoke ran: revoke \(revoke.describe); add \(add.describe)")
            #expect(revoke.status == 0, "revoke: \(revoke.describe)")
            // The add may refuse cleanly (the key changed under it) or succeed; either way the
            // case must stay readable by those who hold its key, and closed to the revoked.
            #expect(add.status == 0 || add.status == 2, "add: \(add.describe)")
            #expect(try bench.read(f, bench.officerID, CrashBench.caseA, "big.bin") == bench.big)
            if add.status == 0 {
                #expect(try bench.read(f, bench.officerID, CrashBench.caseA, "tillagg.txt") == doc)
            } else {
                #expect(try f.versionCount(CrashBench.caseA) == bench.baseVersionsA)
            }
            #expect(throws: VaultError.self) {
                _ = try bench.read(f, bench.investigatorID, CrashBench.caseA, "big.bin")
            }
        }
    }

    @Test
    func twoArchivesIntoOneNewCaseBothLand() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            let f = try bench.copy("race.sarah")
            let dry = try bench.copy("race-dry.sarah")
            defer {
                bench.remove(f)
                bench.remove(dry)
            }
            let one = Array("Första anmälan.\n".utf8)
            let two = Array("Andra anmälan, samma händelse.\n".utf8)
            let p1 = try dir.write("in/r1/forsta.txt", one)
            let p2 = try dir.write("in/r2/andra.txt", two)
            var world = bench.world
            world.vault = f.path
            let archive = { (p: String) in
                ["archive", p, "--diarienummer", CrashBench.caseB, "--unit", "Hemtjänst", "--received", "2021-02-01"]
            }
            let (first, second) = try world.interleave(
                first: (bench.officer, archive(p1)), second: (bench.officer, archive(p2)), dryVault: dry.path)
            print("race: two archives into one new case: second \(second.describe); first \(first.describe)")
            #expect(second.status == 0, "second: \(second.describe)")
            #expect(first.status == 0, "first: \(first.describe)")
            #expect(try bench.read(f, bench.officerID, CrashBench.caseB, "andra.txt") == two)
            if first.status == 0 {
                #expect(try bench.read(f, bench.officerID, CrashBench.caseB, "forsta.txt") == one)
            }
        }
    }

    @Test
    func twoNewVersionsOfOneDocumentBothLand() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            let f = try bench.copy("race.sarah")
            let dry = try bench.copy("race-dry.sarah")
            defer {
                bench.remove(f)
                bench.remove(dry)
            }
            let mine = bench.small + Array("Min komplettering.\n".utf8)
            let theirs = bench.small + Array("Deras komplettering.\n".utf8)
            let p1 = try dir.write("in/r1/small.txt", mine)
            let p2 = try dir.write("in/r2/small.txt", theirs)
            var world = bench.world
            world.vault = f.path
            let (first, second) = try world.interleave(
                first: (bench.officer, ["add", CrashBench.caseA, p1]),
                second: (bench.officer, ["add", CrashBench.caseA, p2]),
                dryVault: dry.path)
            print("race: two versions of one document: second \(second.describe); first \(first.describe)")
            #expect(second.status == 0, "second: \(second.describe)")
            #expect(first.status == 0, "first: \(first.describe)")
            #expect(try bench.read(f, bench.officerID, CrashBench.caseA, "small.txt", version: 2) == theirs)
            if first.status == 0 {
                #expect(try bench.read(f, bench.officerID, CrashBench.caseA, "small.txt", version: 3) == mine)
            }
        }
    }
}

extension CrashWorld {
    /// Runs `first` until just before its write transaction, then `second` to its end, then
    /// lets `first` finish. strace stops `first` (SIGSTOP, delivered as the call returns) at the
    /// lock call that releases its last read lock before `BEGIN IMMEDIATE` takes the next: it
    /// holds no lock while paused, so `second` never waits on it. The stop is reported on a
    /// pipe, so nothing here waits on time.
    func interleave(first: (CrashPerson, [String]), second: (CrashPerson, [String]), dryVault: String) throws
        -> (first: ChildResult, second: ChildResult)
    {
        // SQLite's locks: a shared lock begins with a read lock on the pending byte (1073741824);
        // a write transaction's first write lock is on the reserved byte (1073741825).
        let calls = try traceCalls(["fcntl"], first.0, first.1, vault: dryVault)
        guard let reserved = calls.firstIndex(where: { $0.contains("F_WRLCK") && $0.contains("l_start=1073741825,") }),
            let shared = calls[..<reserved].lastIndex(where: {
                $0.contains("F_RDLCK") && $0.contains("l_start=1073741824,")
            }),
            shared > 0
        else { throw TestFailure("\(first.1.first ?? "?"): no write transaction in the dry run") }
        let stopAt = shared  // 1-based: the call just before the write transaction's shared lock

        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe: \(String(cString: strerror(errno)))") }
        // Not inherited by other tests' children (the child gets its copy as descriptor 3).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        defer { close(fds[0]) }
        let strace = try CrashKit.requireStrace()
        let running: Child.Running
        do {
            running = try Child.spawn(
                strace,
                [
                    "-f", "-qq", "-o", "/dev/fd/3", "-e", "trace=fcntl", "-e",
                    "inject=fcntl:signal=SIGSTOP:when=\(stopAt)", "--",
                    binary, "--vault", vault, "--identity", first.0.path,
                ] + first.1,
                env: environment, io: dir.path(".io-\(UUID().uuidString)"), extraFD: fds[1])
        } catch {
            close(fds[1])
            throw error
        }
        close(fds[1])
        var log = LineReader(fd: fds[0])
        var paused: pid_t?
        while let line = log.next() {
            if line.contains("--- stopped by SIGSTOP ---"), let pid = pid_t(line.split(separator: " ").first ?? "") {
                paused = pid
                break
            }
        }
        guard let paused else {
            let r = try Child.wait(running)
            throw TestFailure("\(first.1.first ?? "?") never paused: \(r.describe)")
        }
        let secondResult: Result<ChildResult, any Error> = Result { try run(second.0, second.1) }
        kill(paused, SIGCONT)
        while log.next() != nil {}
        let firstResult = try Child.wait(running)
        return (firstResult, try secondResult.get())
    }
}

/// Lines from a descriptor, blocking; nil at end of file.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                defer { buffer.removeAll() }
                return buffer.isEmpty ? nil : String(decoding: buffer, as: UTF8.self)
            }
            buffer += chunk[0..<n]
        }
    }
}
