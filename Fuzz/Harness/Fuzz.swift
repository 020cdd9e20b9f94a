import Foundation
@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// What every target shares: the fixed identity packages are sealed to, the fixed passphrase,
/// invariants, and a scratch file for parsers that read from a path.
enum Fuzz {
    /// The passphrase of every identity file in the corpus. Not a secret: fuzzing only.
    static let passphraseText = "fuzz passphrase"

    /// The holder (and issuer) of every checkout package in the corpus, from fixed seeds so that
    /// the committed corpus opens in every build. Not a secret: fuzzing only.
    ///
    /// `nonisolated(unsafe)`: libFuzzer calls the target from one thread, and `Identity` is
    /// deliberately not `Sendable`.
    nonisolated(unsafe) static let holder: Identity = {
        do throws(VaultError) {
            var x = [UInt8](repeating: 0x58, count: 32)  // "XXXX…"
            var e = [UInt8](repeating: 0x45, count: 32)  // "EEEE…"
            let box = try BoxKeyPair(secretKey: try SecureBytes(consuming: &x))
            let signing = try SigningKeyPair(seed: try SecureBytes(consuming: &e))
            return Identity(name: "Fuzz Holder", box: box, signing: signing)
        } catch {
            fatalError("the fuzz holder identity could not be made: \(error.message)")
        }
    }()

    static func passphrase() -> Passphrase {
        var bytes = Array(passphraseText.utf8)
        do throws(VaultError) { return try Passphrase(bytes: &bytes) } catch { fatalError(error.message) }
    }

    /// An invariant of the parser under test; a violation is a finding, like a crash.
    static func expect(
        _ condition: Bool, _ what: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line
    ) {
        if !condition { fatalError("invariant violated: \(what())", file: file, line: line) }
    }

    /// The bytes as the CLI hands text to a parser (invalid UTF-8 repaired, so the parser still
    /// runs on everything else in the input).
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// A per-process scratch file, rewritten for every input.
    static let scratchPath: String = {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return "\(dir)/sarah-vault-fuzz-\(getpid()).input"
    }()

    static func writeScratch(_ bytes: [UInt8]) -> String {
        let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0, FileIO.writeAll(fd, bytes), close(fd) == 0 else {
            fatalError("cannot write the scratch file \(scratchPath)")
        }
        return scratchPath
    }

    /// Big-endian integer of up to 8 bytes at `offset`, 0 where the input ends.
    static func be(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in offset..<offset + count { v = v << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        return v
    }
}
