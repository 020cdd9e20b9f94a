import Foundation
import Testing

@testable import SarahVault

/// Issue 6, item 6, for the files the vault itself wrote and someone may have altered: checkout
/// packages (`checkin`, `open`), checkpoints (`audit verify --against`, `audit cosign`, `audit
/// prove --checkpoint`), audit proofs (`audit verify-proof`), and vault and backup files
/// (`--vault`, `restore`). Malformed input exits 2; input that is well formed but does not hold
/// (a checkpoint of another log, a forged signature) is a failed verification, exit 1, and may
/// be recorded in the log like every verification. Never a crash or a hang.
@Suite struct HostileVaultFileTests {
    // MARK: checkout packages

    @Test func packageFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let me = try Identity.load(from: w.identity, passphrase: try passphrase(Hostile.passphrase))
            let good = try readBytes(w.package)
            var documents: [UInt8] = []
            let manifest = try CheckoutPackage.read(
                path: w.package, identity: me, document: { (_, b) throws(VaultError) in documents += b })
            func signed(_ m: CheckoutManifest) throws -> [UInt8] {
                let json = try Self.json(m)
                return Self.plaintext(json, signature: me.sign(CheckoutPackage.signatureLabel + json))
            }
            func sealed(_ label: String, _ plaintext: [UInt8], to key: PublicKey? = nil) throws -> (String, String) {
                (label, try w.file(label, try Self.sealedPackage(plaintext, to: key ?? me.publicKey)))
            }
            let deepArrays =
                Array(repeating: UInt8(ascii: "["), count: 400_000)
                + Array(repeating: UInt8(ascii: "]"), count: 400_000)
            let deepObjects =
                Array(String(repeating: "{\"a\":", count: 100_000).utf8) + [0x31]
                + Array(repeating: UInt8(ascii: "}"), count: 100_000)
            var negative = manifest
            negative.documents[0].size = -1
            var otherHolder = manifest
            otherHolder.holder = try Identity.generate(name: "Other").keyID

            var files = try w.commonHostileFiles("package")
            files += [
                ("package: its magic alone", try w.file("pkg-magic", Array("SVCO".utf8))),
                ("package: header only", try w.file("pkg-header", Array(good[0..<CheckoutPackage.headerBytes]))),
                ("package: cut in the middle", try w.file("pkg-half", Array(good[0..<good.count / 2]))),
                ("package: one byte short", try w.file("pkg-short", Array(good.dropLast()))),
                (
                    "package: wrong magic",
                    try w.file("pkg-wrong-magic", HostileWorld.patch(good, at: 0, Array("SVID".utf8)))
                ),
                ("package: wrong version", try w.file("pkg-version", HostileWorld.patch(good, at: 4, [2]))),
                ("package: bytes appended", try w.file("pkg-appended", good + Array("trailing".utf8))),
                (
                    "package: 1 MiB appended",
                    try w.file("pkg-appended-big", good + [UInt8](repeating: 0, count: 1 << 20))
                ),
                try sealed(
                    "package: sealed to someone else", try signed(manifest) + documents,
                    to: try Identity.generate(name: "x").publicKey),
                try sealed(
                    "package: manifest nested 400 000 arrays deep",
                    Self.plaintext(deepArrays, signature: me.sign(CheckoutPackage.signatureLabel + deepArrays))),
                try sealed(
                    "package: manifest nested 100 000 objects deep",
                    Self.plaintext(deepObjects, signature: [UInt8](repeating: 0, count: 64))),
                try sealed(
                    "package: manifest length 4 GiB", [0xff, 0xff, 0xff, 0xff] + Array(try Self.json(manifest))),
                try sealed("package: manifest length 0", [0, 0, 0, 0] + documents),
                try sealed(
                    "package: manifest not JSON",
                    Self.plaintext(Array("not json at all".utf8), signature: [UInt8](repeating: 0, count: 64))),
                try sealed(
                    "package: manifest not UTF-8",
                    Self.plaintext([0x7b, 0xff, 0xfe, 0x7d], signature: [UInt8](repeating: 0, count: 64))),
                try sealed(
                    "package: manifest of another shape",
                    Self.plaintext(Array("{\"format\":1}".utf8), signature: [UInt8](repeating: 0, count: 64))),
                try sealed(
                    "package: manifest unsigned",
                    Self.plaintext(try Self.json(manifest), signature: [UInt8](repeating: 0, count: 64)) + documents),
                try sealed("package: a negative document size", try signed(negative) + documents),
                try sealed("package: an empty stream", []),
            ]
            for (label, path) in files {
                try w.expectRefused(["checkin", path], label)
                try expectOpenRefused(path, label)
            }
            // A sound, signed manifest with the documents broken: `checkin` reads only the
            // manifest (the package is the token of the return; the files come separately), so
            // only `open` must refuse these.
            for (label, path) in [
                try sealed("package: documents missing", try signed(manifest)),
                try sealed(
                    "package: bytes after the last document", try signed(manifest) + documents + Array("extra".utf8)),
                try sealed("package: issued to another holder", try signed(otherHolder) + documents),
            ] {
                try expectOpenRefused(path, label)
            }
            func expectOpenRefused(_ path: String, _ label: String) throws {
                let out = dir.path("opened-" + label.replacingOccurrences(of: " ", with: "-"))
                try w.expectRefused(["open", path, "--out", out], label)
                let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
                #expect(left.isEmpty, "\(label): open left \(left) behind")
            }
            // The harness's own crafting is sound: the real plaintext, sealed again, opens.
            let (_, resealed) = try sealed("package: resealed", try signed(manifest) + documents)
            let control = try w.run(["open", resealed, "--out", dir.path("opened-control")])
            #expect(control.status == 0, "a resealed sound package: \(control)")
            let returned = try w.run(["checkin", w.package])
            #expect(returned.status == 0, "the package itself, checked in after all that: \(returned)")
        }
    }

    // MARK: checkpoints

    /// Malformed checkpoints, and checkpoints that do not hold, with `audit verify --against`,
    /// `audit cosign` and `audit prove --checkpoint`.
    @Test func checkpointFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let commands = [
                ["audit", "verify", "--against"], ["audit", "cosign"], ["audit", "prove", "0", "--checkpoint"],
            ]
            for (label, path) in try Self.malformedCheckpoints(w) {
                for command in commands {
                    try w.expectRefused(command + [path], "\(command[1]): \(label)")
                }
            }
            for (label, path) in try Self.checkpointsThatDoNotHold(w) {
                for command in commands {
                    try w.expectRefused(command + [path], "\(command[1]): \(label)", exits: [1], vaultUnchanged: false)
                }
            }
        }
    }

    static func malformedCheckpoints(_ w: HostileWorld) throws -> [(String, String)] {
        let good = try readBytes(w.checkpoint)
        let text = String(decoding: good, as: UTF8.self)
        let blank = try #require(text.range(of: "\n\n"))
        let body = String(text[..<blank.upperBound])
        let signatureLine = String(text[blank.upperBound...])
        return try w.commonHostileFiles("checkpoint") + [
            ("checkpoint: text only", try w.file("cp-text-only", Array(body.utf8))),
            ("checkpoint: cut inside the signature", try w.file("cp-cut", Array(good.dropLast(20)))),
            ("checkpoint: no final newline", try w.file("cp-no-newline", Array(good.dropLast()))),
            (
                "checkpoint: over 128 KiB",
                try w.file("cp-big", good + Array(repeating: UInt8(ascii: "x"), count: 128 * 1024))
            ),
            (
                "checkpoint: 101 signatures",
                try w.file("cp-101", Array((body + String(repeating: signatureLine, count: 101)).utf8))
            ),
            (
                "checkpoint: base64 without padding",
                try w.file("cp-padding", Array(text.replacingOccurrences(of: "=\n", with: "\n").utf8))
            ),
            (
                "checkpoint: CRLF line ends",
                try w.file("cp-crlf", Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
            ),
            ("checkpoint: an escape sequence in the origin", try w.file("cp-esc", Array(("\u{1b}[2J" + text).utf8))),
            (
                "checkpoint: a size with a leading zero",
                try w.file("cp-zero", Array(Self.replacingLine(1, in: text) { "0" + $0 }.utf8))
            ),
            (
                "checkpoint: a size over Int64",
                try w.file("cp-huge", Array(Self.replacingLine(1, in: text) { _ in "99999999999999999999" }.utf8))
            ),
            (
                "checkpoint: a root of 31 bytes",
                try w.file(
                    "cp-root",
                    Array(Self.replacingLine(2, in: text) { _ in Data(count: 31).base64EncodedString() }.utf8))
            ),
        ]
    }

    /// Well formed, but not a checkpoint this vault's log holds.
    static func checkpointsThatDoNotHold(_ w: HostileWorld) throws -> [(String, String)] {
        let me = try Identity.load(from: w.identity, passphrase: try passphrase(Hostile.passphrase))
        let text = String(decoding: try readBytes(w.checkpoint), as: UTF8.self)
        let origin = String(text.prefix { $0 != "\n" })
        let stranger = try Identity.generate(name: "Stranger")
        func note(_ origin: String, _ size: Int64, by who: Identity) throws -> [UInt8] {
            Array(
                try Checkpoint(origin: origin, size: size, rootHash: MerkleTree.emptyRoot).signed(by: who.signing)
                    .serialized.utf8)
        }
        return [
            (
                "checkpoint: of another vault",
                try w.file("cp-other", try note(Checkpoint.origin(vaultID: Sodium.randomBytes(16)), 1, by: me))
            ),
            (
                "checkpoint: size changed, not re-signed",
                try w.file("cp-edited", Array(Self.replacingLine(1, in: text) { String(Int($0)! + 1) }.utf8))
            ),
            ("checkpoint: of a longer log", try w.file("cp-longer", try note(origin, 1_000_000, by: me))),
            ("checkpoint: signed by a stranger", try w.file("cp-stranger", try note(origin, 1, by: stranger))),
        ]
    }

    static func replacingLine(_ n: Int, in text: String, _ change: (String) -> String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[n] = change(lines[n])
        return lines.joined(separator: "\n")
    }

    // MARK: audit proofs

    @Test func proofFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            let proof = dir.path("entry.proof")
            let made = try w.run(["audit", "prove", "1", "--out", proof])
            try #require(made.status == 0, "\(made)")
            let good = try readBytes(proof)
            let key = try Identity.publicKey(ofFile: w.identity).token
            let text = String(decoding: good, as: UTF8.self)
            var files = try w.commonHostileFiles("proof")
            files += [
                ("proof: its first line alone", try w.file("proof-header", Array("c2sp.org/tlog-proof@v1\n".utf8))),
                ("proof: cut in the middle", try w.file("proof-half", Array(good[0..<good.count / 2]))),
                ("proof: one byte short", try w.file("proof-short", Array(good.dropLast()))),
                (
                    "proof: another format",
                    try w.file(
                        "proof-format",
                        Array(text.replacingOccurrences(of: "tlog-proof@v1", with: "tlog-proof@v9").utf8))
                ),
                (
                    "proof: over its size limit",
                    try w.file("proof-big", good + Array(repeating: UInt8(ascii: "x"), count: 300 * 1024))
                ),
                (
                    "proof: 64 hashes",
                    try w.file(
                        "proof-long",
                        Array(
                            Self.replacingLine(2, in: text) {
                                $0 + String(repeating: "\n" + Data(count: 32).base64EncodedString(), count: 64)
                            }.utf8))
                ),
            ]
            for (label, path) in files {
                try w.expectRefused(["audit", "verify-proof", path, "--key", key], label)
            }
            let control = try w.run(["audit", "verify-proof", proof, "--key", key])
            #expect(control.status == 0, "the proof as written: \(control)")
        }
    }

    // MARK: vault and backup files

    @Test func vaultFiles() throws {
        try withTemporaryDirectory { dir in
            let w = try HostileWorld(dir)
            for (label, path) in try Self.hostileVaults(w) {
                try w.expectRefused(["cases"], label, vault: path)
                try w.expectRefused(["member", "list"], label, vault: path)
                try w.expectRefused(["audit", "verify"], label, exits: [1, 2], vault: path, vaultUnchanged: false)
                let restored = dir.path("restored.sarah")
                try w.expectRefused(["restore", path], "restore: \(label)", exits: [1, 2], vault: restored)
                #expect(
                    !FileManager.default.fileExists(atPath: restored),
                    "restore: \(label): a vault was left at \(restored)")
            }
        }
    }

    static func hostileVaults(_ w: HostileWorld) throws -> [(String, String)] {
        let good = try readBytes(w.vault)
        let notAVault = w.dir.path("hostile-other.sqlite")
        try SQLiteDatabase(path: notAVault, create: true).execute(
            "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('hej');")
        let future = try w.file("vault-future", good)
        try SQLiteDatabase(path: future, create: false).execute("PRAGMA user_version = 99")
        let noAudit = try w.file("vault-no-audit", good)
        try SQLiteDatabase(path: noAudit, create: false).execute("DROP TRIGGER audit_no_delete; DROP TABLE audit;")
        return try w.commonHostileFiles("vault") + [
            ("vault: its first 100 bytes", try w.file("vault-100", Array(good[0..<100]))),
            ("vault: its first half", try w.file("vault-half", Array(good[0..<good.count / 2]))),
            (
                "vault: wrong SQLite magic",
                try w.file("vault-magic", HostileWorld.patch(good, at: 0, Array("XQLite".utf8)))
            ),
            ("vault: an SQLite database of something else", notAVault),
            ("vault: schema version 99", future),
            ("vault: without its audit table", noAudit),
        ]
    }

    // MARK: crafting packages

    static func json(_ m: CheckoutManifest) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(m))
    }

    /// `u32 length | manifest | signature` (documents follow).
    static func plaintext(_ manifest: [UInt8], signature: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(manifest.count))
        return w.bytes + manifest + signature
    }

    /// A package file around `plaintext`, sealed to `holder` as `CheckoutPackage.write` does.
    static func sealedPackage(_ plaintext: [UInt8], to holder: PublicKey) throws -> [UInt8] {
        let key = try Sodium.randomSecret(32)
        let header = try CheckoutPackage.magic + [CheckoutPackage.version] + BoxKeyPair.seal(key, to: holder.boxKey)
        var file = header
        let sealer = StreamSealer(key: key, binding: header) { (chunk) throws(VaultError) in file += chunk }
        try sealer.write(plaintext)
        try sealer.finish()
        return file
    }
}
