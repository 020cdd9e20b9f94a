import Foundation
import Testing

@testable import SarahVault

// The Ed25519 example of C2SP `signed-note.md`, as transcribed in shared/design/VECTORS.md, and
// the example body of C2SP `tlog-checkpoint.md`.
private enum C2SPExample {
    static let name = "example.com/foo"
    static let publicKeyHex = "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
    static let verifierKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    static let text = "This is an example message.\n"
    static let signatureLine =
        "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
    static var note: String { text + "\n" + signatureLine }

    static let checkpointBody = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
}

private func noteBytes(_ s: String) -> [UInt8] { Array(s.utf8) }

private func freshKey() throws -> SigningKeyPair {
    try SigningKeyPair(seed: try Sodium.randomSecret(SigningKeyPair.seedBytes))
}

/// Whether `bytes` parses as a note and verifies under `trusted`; any failure is a thrown
/// `VaultError` (never a crash).
private func noteVerifies(_ bytes: [UInt8], _ trusted: [SignedNote.Verifier]) -> Bool {
    do {
        _ = try SignedNote(parsing: bytes).verify(by: trusted)
        return true
    } catch {
        #expect(error.code == .invalidInput || error.code == .verificationFailed)
        return false
    }
}

@Suite struct SignedNoteTests {
    // MARK: the C2SP example

    @Test func exampleKeyIDAndVerifierKey() throws {
        let publicKey = try #require(Hex.decode(C2SPExample.publicKeyHex))
        let verifier = try SignedNote.Verifier(name: C2SPExample.name, publicKey: publicKey)
        #expect(Hex.encode(verifier.keyID) == "530d903a")
        #expect(verifier.verifierKey == C2SPExample.verifierKey)

        let parsed = try SignedNote.Verifier(parsing: C2SPExample.verifierKey)
        #expect(parsed == verifier)
        #expect(parsed.name == C2SPExample.name)
        #expect(parsed.publicKey == publicKey)
    }

    @Test func exampleSignatureVerifies() throws {
        let verifier = try SignedNote.Verifier(parsing: C2SPExample.verifierKey)
        let note = try SignedNote(parsing: noteBytes(C2SPExample.note))
        #expect(note.text == C2SPExample.text)
        #expect(note.signatures.count == 1)
        #expect(note.signatures.first?.name == C2SPExample.name)
        #expect(note.signatures.first.map { Hex.encode($0.keyID) } == "530d903a")
        #expect(note.signatures.first?.bytes.count == 64)
        #expect(try note.verify(by: [verifier]) == [verifier])
        #expect(note.serialized == C2SPExample.note)
    }

    @Test func exampleRejectsEveryOneByteChangeAndEveryTruncation() throws {
        let verifier = try SignedNote.Verifier(parsing: C2SPExample.verifierKey)
        let original = noteBytes(C2SPExample.note)
        #expect(noteVerifies(original, [verifier]))
        for i in original.indices {
            for mask: UInt8 in [0x01, 0x20, 0x80] {
                var changed = original
                changed[i] ^= mask
                #expect(!noteVerifies(changed, [verifier]), "byte \(i) xor \(mask)")
            }
        }
        for n in 0..<original.count {
            #expect(!noteVerifies(Array(original[0..<n]), [verifier]), "truncated to \(n) bytes")
        }
    }

    @Test func exampleNegatives() throws {
        let verifier = try SignedNote.Verifier(parsing: C2SPExample.verifierKey)
        let sig = C2SPExample.signatureLine
        let cases: [(String, String)] = [
            ("altered body", "This is an example message!\n\n" + sig),
            ("body with an extra line", "This is an example message.\nAnd more.\n\n" + sig),
            ("altered signature", C2SPExample.text + "\n" + sig.replacingOccurrences(of: "Uw2QOkn8", with: "Uw2QOkn9")),
            ("missing blank line", C2SPExample.text + sig),
            ("no signature", C2SPExample.text + "\n"),
            ("trailing garbage", C2SPExample.note + "garbage"),
            ("trailing garbage line", C2SPExample.note + "garbage\n"),
            ("trailing blank line", C2SPExample.note + "\n"),
            ("signature line without its newline", String(C2SPExample.note.dropLast())),
            ("hyphen instead of em dash", C2SPExample.text + "\n" + "-" + sig.dropFirst()),
            (
                "two spaces after the name",
                C2SPExample.text + "\n" + sig.replacingOccurrences(of: "foo ", with: "foo  ")
            ),
            ("unpadded base64", C2SPExample.text + "\n" + sig.replacingOccurrences(of: "=\n", with: "\n")),
            ("carriage return", C2SPExample.text.replacingOccurrences(of: ".\n", with: ".\r\n") + "\n" + sig),
            ("tab in the text", "This is\tan example message.\n\n" + sig),
            ("empty", ""),
            ("only newlines", "\n\n\n"),
        ]
        for (what, text) in cases {
            #expect(!noteVerifies(noteBytes(text), [verifier]), "\(what)")
        }
        // Not UTF-8; too large.
        #expect(!noteVerifies(noteBytes(C2SPExample.text) + [0xff, 0x0a, 0x0a] + noteBytes(sig), [verifier]))
        let huge = String(repeating: "a", count: SignedNote.maxBytes) + "\n\n" + sig
        #expect(throws: VaultError.self) { try SignedNote(parsing: noteBytes(huge)) }
    }

    @Test func exampleWithAWrongKeyFails() throws {
        let publicKey = try #require(Hex.decode(C2SPExample.publicKeyHex))
        let other = try freshKey()
        let note = try SignedNote(parsing: noteBytes(C2SPExample.note))
        // Another key under the same name: a different key id, so the signature is unknown to it.
        let sameName = try SignedNote.Verifier(name: C2SPExample.name, publicKey: other.publicKey)
        #expect(throws: VaultError.self) { try note.verify(by: [sameName]) }
        // The right key under another name: also a different key id.
        let otherName = try SignedNote.Verifier(name: "example.com/bar", publicKey: publicKey)
        #expect(throws: VaultError.self) { try note.verify(by: [otherName]) }
        #expect(throws: VaultError.self) { try note.verify(by: []) }
    }

    @Test func verifierKeysWhoseBase64HoldsAPlusRoundTrip() throws {
        // "+" separates the fields, and base64 uses it too: only the first two "+" separate.
        let vkey =
            "sarahvault.local/e6ce29b748fabd1a5fee7607a0ae0622+4ae5666b+Afsb6jG5uxHgWgKWgYL1NirBqibHX2w+X05xd/mEbXGp"
        let parsed = try SignedNote.Verifier(parsing: vkey)
        #expect(parsed.name == "sarahvault.local/e6ce29b748fabd1a5fee7607a0ae0622")
        #expect(Hex.encode(parsed.keyID) == "4ae5666b")
        #expect(parsed.verifierKey == vkey)
    }

    @Test func verifierKeyStringsAreParsedStrictly() {
        let good = C2SPExample.verifierKey
        let bad = [
            "", "example.com/foo", "example.com/foo+530d903a", good + "+extra",
            good.replacingOccurrences(of: "530d903a", with: "530d903b"),  // key id does not match
            good.replacingOccurrences(of: "530d903a", with: "530d903"),  // short key id
            good.replacingOccurrences(of: "+Aeky", with: "+Akky"),  // algorithm byte not 0x01
            good.replacingOccurrences(of: "example.com/foo", with: "example.com/f o"),
            good.replacingOccurrences(of: "example.com/foo", with: ""),
            String(good.dropLast()),  // key truncated
        ]
        for vkey in bad {
            #expect(throws: VaultError.self, "\(vkey)") { try SignedNote.Verifier(parsing: vkey) }
        }
    }

    // MARK: round trips

    @Test func signVerifyRoundTrip() throws {
        let a = try freshKey()
        let b = try freshKey()
        var note = try SignedNote(text: "sarahvault.local/test\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
        try note.sign(name: "sarahvault.local/test", key: a)
        try note.sign(name: "sarahvault.local/test", key: a)  // once is enough
        try note.sign(name: "witness.example/w1", key: b)
        #expect(note.signatures.count == 2)

        let va = try SignedNote.Verifier(name: "sarahvault.local/test", publicKey: a.publicKey)
        let vb = try SignedNote.Verifier(name: "witness.example/w1", publicKey: b.publicKey)
        let parsed = try SignedNote(parsing: noteBytes(note.serialized))
        #expect(parsed == note)
        #expect(parsed.serialized == note.serialized)
        #expect(try parsed.verify(by: [va]) == [va])  // b's signature is unknown here: ignored
        #expect(try parsed.verify(by: [va, vb]) == [va, vb])
        #expect(try SignedNote.Verifier(parsing: va.verifierKey) == va)

        // A trusted key's signature that fails rejects the note, even when another holds.
        let garbled = SignedNote.Signature(
            name: "witness.example/w1", keyID: vb.keyID, bytes: [UInt8](repeating: 7, count: 64)
        ).line
        let forged = note.serialized.replacingOccurrences(of: note.signatures[1].line, with: garbled)
        #expect(!noteVerifies(noteBytes(forged), [va, vb]))
        // To someone who does not know b's key, the garbled line is an unknown signature: ignored.
        #expect(noteVerifies(noteBytes(forged), [va]))
    }

    @Test func noteTextIsChecked() {
        #expect(throws: VaultError.self) { try SignedNote(text: "no newline") }
        #expect(throws: VaultError.self) { try SignedNote(text: "a\tb\n") }
        #expect(throws: VaultError.self) {
            try SignedNote.Verifier(name: "a+b", publicKey: [UInt8](repeating: 1, count: 32))
        }
        #expect(throws: VaultError.self) { try SignedNote.Verifier(name: "a", publicKey: [1, 2, 3]) }
    }

    @Test func tooManySignaturesAreRefused() throws {
        var text = C2SPExample.text + "\n"
        for _ in 0...SignedNote.maxSignatures { text += C2SPExample.signatureLine }
        #expect(throws: VaultError.self) { try SignedNote(parsing: noteBytes(text)) }
    }

    // MARK: checkpoints

    @Test func checkpointBodyFromTheSpecificationParses() throws {
        let cp = try Checkpoint(text: C2SPExample.checkpointBody)
        #expect(cp.origin == "example.com/behind-the-sofa")
        #expect(cp.size == 20_852_163)
        #expect(cp.rootHash.count == 32)
        #expect(cp.text == C2SPExample.checkpointBody)
    }

    @Test func checkpointRoundTrip() throws {
        let key = try freshKey()
        let origin = Checkpoint.origin(vaultID: [UInt8](repeating: 0xab, count: 16))
        #expect(origin == "sarahvault.local/" + String(repeating: "ab", count: 16))
        let cp = try Checkpoint(
            origin: origin, size: 8, rootHash: MerkleTree.root(leafHashes: [[UInt8](repeating: 1, count: 32)]))
        let note = try cp.signed(by: key)
        #expect(note.signatures.first?.name == origin)
        let verifier = try Checkpoint.verifier(origin: origin, signingKey: key.publicKey)
        let (opened, signers) = try Checkpoint.open(noteBytes(note.serialized), trusting: [verifier])
        #expect(opened == cp)
        #expect(signers == [verifier])
        // A changed size or root breaks the signature.
        for edited in [
            note.serialized.replacingOccurrences(of: "\n8\n", with: "\n9\n"),
            note.serialized.replacingOccurrences(of: "\n8\n", with: "\n80\n"),
        ] {
            #expect(throws: VaultError.self) { try Checkpoint.open(noteBytes(edited), trusting: [verifier]) }
        }
    }

    @Test func checkpointBodiesAreParsedStrictly() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        let bad = [
            "", "origin\n", "origin\n1\n", "origin\n1\n\(root)",  // too few lines / no final newline
            "\n1\n\(root)\n",  // empty origin
            "origin\n01\n\(root)\n", "origin\n-1\n\(root)\n", "origin\n+1\n\(root)\n", "origin\n 1\n\(root)\n",
            "origin\n1 \n\(root)\n", "origin\n\n\(root)\n", "origin\n0x10\n\(root)\n",
            "origin\n99999999999999999999\n\(root)\n", "origin\n9223372036854775808\n\(root)\n",
            "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  // unpadded
            "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n",  // 31 bytes
            "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  // stray trailing bits
            "origin\n1\n\(root)\n\nextension\n",  // empty extension line
            "origin\n1\n\(root)\n" + String(repeating: "ext\n", count: Checkpoint.maxExtensionLines + 1),
        ]
        for text in bad {
            #expect(throws: VaultError.self, "\(text.debugDescription)") { try Checkpoint(text: text) }
        }
        #expect((try? Checkpoint(text: "o\n0\n\(root)\n"))?.size == 0)
        #expect((try? Checkpoint(text: "o\n9223372036854775807\n\(root)\next\n"))?.extensionLines == ["ext"])
    }
}
