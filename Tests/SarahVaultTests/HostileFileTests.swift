import Foundation
import Testing

@testable import SarahVault

/// Issue 6, item 6: every command that reads a file a person hands it — an identity, a
/// passphrase file, a roster, a policy, a recovery key, a document — given an empty, truncated,
/// oversized, wrong-magic, wrong-version, endless or non-UTF-8 one, exits 2 with one clear
/// error line, never crashes or hangs, and leaves the vault byte for byte as it was.
/// (Packages, checkpoints, proofs and vault files: `HostileVaultFileTests`.)
@Suite struct HostileFileTests {
    // MARK: identity files

    @Test func identityFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let good = try readBytes(w.identity)
            let me = try Identity.load(from: w.identity, passphrase: try passphrase(Hostile.passphrase))
            // The crafted files below use the cheapest Argon2 limits; this one is otherwise
            // sound, so it must work — or the failures below would prove nothing.
            let cheap = try w.file("identity-cheap", try Self.identityFile(me))
            let control = try w.run(["cases"], identity: cheap)
            try #require(control.status == 0, "a sound identity file with minimal KDF limits: \(control)")

            // Refused before the passphrase is even asked for (`pubkey` reads only the header).
            var headerBroken = try w.commonHostileFiles("identity")
            headerBroken += [
                ("identity: its magic alone", try w.file("id-magic-only", Array(good[0..<4]))),
                ("identity: cut inside the header", try w.file("id-half-header", Array(good[0..<70]))),
                (
                    "identity: wrong magic",
                    try w.file("id-wrong-magic", HostileWorld.patch(good, at: 0, Array("SVPK".utf8)))
                ),
                ("identity: wrong version", try w.file("id-version", HostileWorld.patch(good, at: 4, [2]))),
                ("identity: version 255", try w.file("id-version-255", HostileWorld.patch(good, at: 4, [255]))),
                ("identity: unknown KDF", try w.file("id-kdf", HostileWorld.patch(good, at: 5, [1]))),
                ("identity: over 4 KiB", try w.file("id-big", good + [UInt8](repeating: 0x41, count: 4096))),
            ]
            for (label, path) in headerBroken {
                try w.expectRefused(["cases"], label, identity: path)
                try w.expectRefused(["pubkey"], label, identity: path)
            }
            // A sound header, then something wrong behind the passphrase.
            let sealedBroken: [(String, String)] = [
                ("identity: header only", try w.file("id-header", Array(good[0..<126]))),
                ("identity: one byte short", try w.file("id-short", Array(good.dropLast()))),
                (
                    "identity: one bit flipped in the sealed part",
                    try w.file("id-flip", HostileWorld.patch(good, at: good.count - 1, [good.last! ^ 1]))
                ),
                (
                    "identity: zero Argon2 passes",
                    try w.file("id-ops-0", HostileWorld.patch(good, at: 6, HostileWorld.bigEndian(0)))
                ),
                (
                    "identity: Argon2 memory 2^64-1",
                    try w.file("id-mem-max", HostileWorld.patch(good, at: 14, HostileWorld.bigEndian(.max)))
                ),
                (
                    "identity: Argon2 passes 2^64-1",
                    try w.file("id-ops-max", HostileWorld.patch(good, at: 6, HostileWorld.bigEndian(.max)))
                ),
                (
                    "identity: a name that is not UTF-8",
                    try w.file("id-name", try Self.identityFile(me, name: [0x4f, 0xff, 0xfe, 0x6c]))
                ),
                (
                    "identity: public keys not its own",
                    try w.file("id-keys", try Self.identityFile(me, publicKeys: Array(repeating: 9, count: 64)))
                ),
            ]
            for (label, path) in sealedBroken {
                try w.expectRefused(["cases"], label, identity: path)
            }
        }
    }

    /// The Argon2 limits an identity file states are used before the passphrase can be checked.
    /// They were once accepted up to 32 passes × 4 GiB: a hostile or corrupted file made every
    /// command run for minutes (8 passes × 4 GiB: 38 s and 4.2 GB) — found by this test. Now
    /// anything above what `keygen` writes at its strongest (`sensitive`, 4 passes × 1 GiB) is
    /// refused before the KDF runs.
    @Test
    func identityFileWithExtremeKDFLimits() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let good = try readBytes(w.identity)
            let extreme = HostileWorld.patch(good, at: 6, HostileWorld.bigEndian(32) + HostileWorld.bigEndian(4 << 30))
            try w.expectRefused(
                ["cases"], "identity: 32 passes over 4 GiB", identity: try w.file("id-extreme", extreme))
        }
    }

    // MARK: passphrase files

    @Test func passphraseFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            var files = try w.commonHostileFiles("passphrase")
            files += [
                ("passphrase: a newline only", try w.file("pass-newline", [0x0a])),
                ("passphrase: over 4 KiB", try w.file("pass-big", [UInt8](repeating: 0x61, count: 4097))),
                ("passphrase: the wrong one", try w.file("pass-wrong", Array("not the passphrase\n".utf8))),
                ("passphrase: NUL bytes", try w.file("pass-nul", [0, 0, 0, 0x0a])),
            ]
            for (label, path) in files {
                try w.expectRefused(["--passphrase-file", path, "cases"], label)
            }
            let right = try w.file("pass-right", Array((Hostile.passphrase + "\n").utf8))
            let control = try w.run(["--passphrase-file", right, "cases"])
            #expect(control.status == 0, "the right passphrase file: \(control)")
        }
    }

    // MARK: roster files (`member import`)

    @Test func rosterFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let key = try Identity.generate(name: "Ida").publicKey.token
            let line = "Ida Investigator | investigator | Hemtjänst | \(key)\n"
            var files = try w.commonHostileFiles("roster")
            files += [
                ("roster: comments only", try w.file("roster-comments", Array("# nobody\n\n#\n".utf8))),
                ("roster: cut inside a key", try w.file("roster-cut", Array(line.utf8.prefix(line.utf8.count - 20)))),
                (
                    "roster: over 1 MiB",
                    try w.file(
                        "roster-big",
                        Array(line.utf8) + Array(repeating: Array("# padding\n".utf8), count: 110_000).flatMap { $0 })
                ),
                (
                    "roster: one line of almost 1 MiB",
                    try w.file("roster-long-line", Array(repeating: UInt8(ascii: "x"), count: (1 << 20) - 100) + [0x0a])
                ),
                (
                    "roster: 100 000 fields",
                    try w.file("roster-fields", Array(String(repeating: "a|", count: 100_000).utf8))
                ),
                ("roster: the same key twice", try w.file("roster-twice", Array((line + line).utf8))),
                (
                    "roster: a personnummer as name",
                    try w.file("roster-pnr", Array("19121212-1212 | investigator | - | \(key)\n".utf8))
                ),
                (
                    "roster: an escape sequence as name",
                    try w.file("roster-esc-name", Array("\u{1b}[2JIda | investigator | - | \(key)\n".utf8))
                ),
                (
                    "roster: a sound line, then binary",
                    try w.file("roster-binary-tail", Array(line.utf8) + [0x00, 0x01, 0x7f, 0x0a])
                ),
            ]
            for (label, path) in files {
                try w.expectRefused(["member", "import", path], label)
            }
        }
    }

    // MARK: policy files (`policy set`)

    @Test func policyFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let good = Policy.default.text
            let lines = good.split(separator: "\n").map(String.init)
            var files = try w.commonHostileFiles("policy")
            files += [
                ("policy: comments only", try w.file("policy-comments", Array("# nothing\n".utf8))),
                (
                    "policy: cut after three roles",
                    try w.file("policy-cut", Array(lines.prefix(3).joined(separator: "\n").utf8))
                ),
                (
                    "policy: over 64 KiB",
                    try w.file(
                        "policy-big",
                        Array(good.utf8) + Array(repeating: Array("# padding\n".utf8), count: 7000).flatMap { $0 })
                ),
                ("policy: a role twice", try w.file("policy-twice", Array((good + lines[0] + "\n").utf8))),
                (
                    "policy: officer without manage-policy",
                    try w.file("policy-lockout", Array(good.replacingOccurrences(of: ", manage-policy", with: "").utf8))
                ),
                (
                    "policy: an escape sequence as capability",
                    try w.file(
                        "policy-esc-cap",
                        Array(good.replacingOccurrences(of: "archive,", with: "arch\u{1b}[31mive,").utf8))
                ),
                (
                    "policy: 30 000 commas",
                    try w.file(
                        "policy-commas", Array(("registrar: " + String(repeating: ",", count: 30_000) + "x\n").utf8))
                ),
            ]
            for (label, path) in files {
                try w.expectRefused(["policy", "set", path], label)
            }
        }
    }

    /// A role read from a roster or policy file was once echoed into the error line as it was
    /// (`Role(parsing:)`: "unknown role '\u{1b}[2J…'"), so a hostile file could clear the screen,
    /// recolour or overwrite (`\r`) the one line that should say what is wrong. Like
    /// capabilities, it is now shown through `Diarienummer.printable`.
    @Test
    func controlCharactersInRolesAreNotEchoed() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let key = try Identity.generate(name: "Ida").publicKey.token
            try w.expectRefused(
                [
                    "member", "import",
                    try w.file("roster-esc", Array("Ida | \u{1b}[2J\u{1b}[31mofficer | - | \(key)\n".utf8)),
                ],
                "roster: an escape sequence as role")
            try w.expectRefused(
                ["member", "import", try w.file("roster-cr", Array("Ida | inv\restigator | - | \(key)\n".utf8))],
                "roster: a carriage return inside the role")
            try w.expectRefused(
                [
                    "policy", "set",
                    try w.file("policy-esc-role", Array(("\u{1b}[2Jofficer: archive\n" + Policy.default.text).utf8)),
                ],
                "policy: an escape sequence as role")
        }
    }

    // MARK: recovery key files (`recover --recovery-file`)

    @Test func recoveryKeyFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let stranger = dir.path("stranger.id")
            let made = try Hostile.run(
                ["keygen", "--name", "Nils Ny", "--out", stranger, "--kdf", "interactive"], in: dir)
            try #require(made.status == 0, "\(made)")
            let good = try String(decoding: readBytes(w.recoveryKey), as: UTF8.self).trimmingWhitespace()
            var files = try w.commonHostileFiles("recovery")
            files += [
                ("recovery: its last group missing", try w.file("rk-cut", Array(good.dropLast(6).utf8))),
                (
                    "recovery: one letter changed",
                    try w.file("rk-typo", Array((String(good.dropLast()) + (good.last == "a" ? "b" : "a")).utf8))
                ),
                (
                    "recovery: a public key instead",
                    try w.file("rk-pubkey", Array(try Identity.publicKey(ofFile: stranger).token.utf8))
                ),
                ("recovery: another vault's key", try w.file("rk-other", Array(try RecoveryKey.generate().text.utf8))),
                (
                    "recovery: over 4 KiB",
                    try w.file("rk-big", Array(good.utf8) + [UInt8](repeating: 0x20, count: 4096))
                ),
            ]
            for (label, path) in files {
                try w.expectRefused(["recover", "--recovery-file", path], label, identity: stranger)
            }
        }
    }

    // MARK: documents and summaries

    @Test func documentAndSummaryFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            for (label, path) in [
                ("document: a directory", try w.directory("document")), ("document: /dev/zero", "/dev/zero"),
            ] {
                try w.expectRefused(
                    [
                        "archive", path, "--diarienummer", "ASN 2025/0043", "--unit", "Hemtjänst", "--received",
                        "2025-02-01",
                    ], label)
                try w.expectRefused(["add", HostileWorld.caseID, path], label)
            }
            for (label, path) in try w.commonHostileFiles("summary") {
                try w.expectRefused(["summary", HostileWorld.caseID, "--file", path], label)
            }
        }
    }

    // MARK: crafting

    /// An identity file laid out as `IdentityFile.encode` writes it, with Argon2id's minimum
    /// limits and optionally another name or other clear public keys.
    static func identityFile(_ identity: Identity, name: [UInt8]? = nil, publicKeys: [UInt8]? = nil) throws -> [UInt8] {
        let ops: UInt64 = 1
        let mem: UInt64 = 8192
        let salt = Sodium.randomBytes(PasswordHash.saltBytes)
        let nonce = Sodium.randomBytes(AEAD.nonceBytes)
        var w = ByteWriter()
        w.append(IdentityFile.magic)
        w.u8(IdentityFile.version)
        w.u8(PasswordHash.algorithmArgon2id13)
        w.u64(ops)
        w.u64(mem)
        w.append(salt)
        w.append(nonce)
        w.append(publicKeys ?? identity.box.publicKey + identity.signing.publicKey)
        let header = w.bytes
        let key = try PasswordHash.deriveKey(
            passphrase: try passphrase(Hostile.passphrase).secret, salt: salt, ops: ops, mem: mem)
        let plain =
            identity.box.secretKey.unsafeCopy() + identity.signingSeed.unsafeCopy()
            + (name ?? Array(identity.name.utf8))
        return header + AEAD.seal(plain, key: key, nonce: nonce, ad: header)
    }
}
