import Foundation
import Testing

@testable import SarahVault

/// The fuzzers' findings, kept (issue 6, item 4): every input in `Fuzz/corpus/<target>/` — the
/// seeds, and any crash `scripts/fuzz.sh` found once it is fixed and its input copied there — is
/// fed through the library's own entry points, whole and cut at every length, and must parse or
/// fail with a `VaultError`. A trap here is a regression. The fuzzers themselves run with
/// `make fuzz`; this replay runs with `make test`.
@Suite struct HostileRegressionTests {
    static let corpus: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("Fuzz/corpus").path
    }()

    /// The inputs of one target, and each of them cut at every length (every `step`-th for
    /// the slower parsers).
    static func inputs(_ target: String, step: Int = 1) throws -> [(String, [UInt8])] {
        let dir = corpus + "/" + target
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var out: [(String, [UInt8])] = []
        for name in names {
            let bytes = try readBytes(dir + "/" + name)
            out.append((name, bytes))
            for n in stride(from: 0, to: bytes.count, by: step) { out.append(("\(name)[..<\(n)]", Array(bytes[..<n]))) }
        }
        return out
    }

    /// What a parser did with one input: parsed, or refused with a `VaultError`. (Typed throws
    /// make anything else impossible short of a trap, which ends the test run.)
    static func outcome<T>(_ body: () throws(VaultError) -> T) -> Bool {
        do throws(VaultError) {
            _ = try body()
            return true
        } catch {
            #expect(!error.message.isEmpty, "a VaultError without a message")
            return false
        }
    }

    @Test func seedCorpusIsPresent() throws {
        for target in [
            "identity", "public-key", "recovery-key", "roster", "policy", "audit-entry", "checkpoint", "audit-proof",
            "checkout",
        ] {
            let whole = try Self.inputs(target, step: .max)
            #expect(!whole.isEmpty, "no seeds in Fuzz/corpus/\(target)")
        }
    }

    @Test func identityFiles() throws {
        var unlocked = 0
        for (name, bytes) in try Self.inputs("identity") {
            _ = Self.outcome { () throws(VaultError) in try IdentityFile.publicKey(of: bytes) }
            // Argon2 runs with the file's own limits: only where they are the cheapest (as in
            // the fuzz target); `HostileFileTests` covers the rest through the CLI.
            let ops = bytes.count >= 22 ? bytes[6..<14].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : 0
            let mem = bytes.count >= 22 ? bytes[14..<22].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : 0
            guard ops <= 2, mem <= 64 * 1024 else { continue }
            let corpusPassphrase = try passphrase("fuzz passphrase")  // Fuzz.passphraseText
            if Self.outcome({ () throws(VaultError) in try IdentityFile.decode(bytes, passphrase: corpusPassphrase) }) {
                unlocked += 1
                #expect(!name.contains("[..<"), "a truncated identity file unlocked: \(name)")
            }
        }
        #expect(unlocked >= 1, "no corpus identity unlocks: the corpus passphrase or format changed")
    }

    @Test func publicKeyTokens() throws {
        for (name, bytes) in try Self.inputs("public-key") {
            let text = String(decoding: bytes, as: UTF8.self)
            if Self.outcome({ () throws(VaultError) in try PublicKey(token: text) }) {
                // Only a whole token parses, however it was cut (a cut through whitespace is fine).
                #expect(
                    (try? PublicKey(token: text))?.token == text.trimmingWhitespace(), "\(name) parsed as another key")
            }
        }
    }

    @Test func recoveryKeys() throws {
        for (_, bytes) in try Self.inputs("recovery-key") {
            _ = Self.outcome { () throws(VaultError) in try RecoveryKey(text: String(decoding: bytes, as: UTF8.self)) }
        }
    }

    @Test func rosterFiles() throws {
        for (_, bytes) in try Self.inputs("roster", step: 3) {
            _ = Self.outcome { () throws(VaultError) in try RosterFile.parse(String(decoding: bytes, as: UTF8.self)) }
        }
    }

    @Test func policyFiles() throws {
        for (_, bytes) in try Self.inputs("policy") {
            _ = Self.outcome { () throws(VaultError) in try Policy(parsing: String(decoding: bytes, as: UTF8.self)) }
        }
    }

    @Test func auditEntries() throws {
        for (name, bytes) in try Self.inputs("audit-entry") {
            if Self.outcome({ () throws(VaultError) in try AuditEntry(bytes: bytes) }) {
                #expect(!name.contains("[..<"), "a truncated audit entry parsed: \(name)")
            }
        }
    }

    @Test func checkpoints() throws {
        for (_, bytes) in try Self.inputs("checkpoint") {
            _ = Self.outcome { () throws(VaultError) in
                try SignedNote.Verifier(parsing: String(decoding: bytes, as: UTF8.self))
            }
            _ = Self.outcome { () throws(VaultError) in try Checkpoint(text: try SignedNote(parsing: bytes).text) }
        }
    }

    @Test func auditProofs() throws {
        let holder = try Self.fuzzHolder()
        var verified = 0
        for (name, bytes) in try Self.inputs("audit-proof", step: 5) {
            if Self.outcome({ () throws(VaultError) in try AuditProofs.verify(bytes, trusting: [holder.publicKey]) }) {
                verified += 1
                #expect(!name.contains("[..<"), "a truncated proof verified: \(name)")
            }
        }
        #expect(verified >= 1, "no corpus proof verifies: the corpus holder or the proof format changed")
    }

    /// The fixed identity the corpus packages are sealed to and its proofs signed by (the same
    /// keys as `Fuzz/Harness/Fuzz.swift`; not a secret).
    static func fuzzHolder() throws -> Identity {
        var x = [UInt8](repeating: 0x58, count: 32)
        var e = [UInt8](repeating: 0x45, count: 32)
        return Identity(
            name: "Fuzz Holder", box: try BoxKeyPair(secretKey: try SecureBytes(consuming: &x)),
            signing: try SigningKeyPair(seed: try SecureBytes(consuming: &e)))
    }

    /// Packages through `Vault.inspectPackage` and `Vault.openPackage`, as `checkin` and `open`
    /// read them, by the fuzz holder.
    @Test func checkoutPackages() throws {
        let holder = try Self.fuzzHolder()
        try withTemporaryDirectory { dir in
            for (i, (name, bytes)) in try Self.inputs("checkout", step: 7).enumerated() {
                let path = try dir.write("package-\(i)", bytes)
                _ = Self.outcome { () throws(VaultError) in try Vault.inspectPackage(at: path, identity: holder) }
                let out = dir.path("out-\(i)")
                // Corpus packages may have expired; a refusal then is a clean outcome too.
                let opened = Self.outcome { () throws(VaultError) in
                    try Vault.openPackage(at: path, identity: holder, into: out)
                }
                if opened {
                    #expect(!name.contains("[..<"), "a truncated package opened: \(name)")
                } else {
                    let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
                    #expect(left.isEmpty, "\(name): a failed open left \(left)")
                }
            }
        }
    }

    /// `IdentityFile.decode` runs Argon2 with the limits the file states, before the passphrase
    /// can be checked. It once accepted up to 32 passes and 4 GiB (minutes and 4 GiB for one
    /// load); limits above what `keygen` writes (`sensitive`: 4 passes, 1 GiB) are now refused
    /// without running the KDF.
    @Test
    func identityKDFLimitsAreBoundedByTheStrongestKeygenSetting() throws {
        let me = try Identity.generate(name: "Ada")
        let sound = try HostileFileTests.identityFile(me)
        let extreme = HostileWorld.patch(sound, at: 6, HostileWorld.bigEndian(32) + HostileWorld.bigEndian(4 << 30))
        let pass = try passphrase(Hostile.passphrase)
        let started = Date()
        #expect(throws: VaultError.self) { try IdentityFile.decode(extreme, passphrase: pass) }
        #expect(Date().timeIntervalSince(started) < 1, "the KDF ran with the file's extreme limits")
    }
}
