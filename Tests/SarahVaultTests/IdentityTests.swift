import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct IdentityTests {
    static let secret = "korrekt häst batteri häftklammer"

    /// Writes a fresh identity (interactive KDF, fast) and returns it with its path.
    func written(in dir: TemporaryDirectory, name: String = "Test Person") throws -> (Identity, String) {
        let id = try Identity.generate(name: name)
        let path = dir.path("identity")
        try id.write(to: path, passphrase: try passphrase(Self.secret), kdf: .interactive)
        return (id, path)
    }

    @Test func roundTripsWithTheRightPassphrase() throws {
        try withTemporaryDirectory { dir in
            let (id, path) = try written(in: dir, name: "Ingrid Utredarsson")
            let loaded = try Identity.load(from: path, passphrase: try passphrase(Self.secret))
            #expect(loaded.keyID == id.keyID)
            #expect(loaded.publicKey == id.publicKey)
            #expect(loaded.name == "Ingrid Utredarsson")
            #expect(try Identity.publicKey(ofFile: path) == id.publicKey)
        }
    }

    @Test func wrongPassphraseIsAuthenticationFailed() throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            for wrong in ["korrekt häst batteri häftklammeR", "fel", Self.secret + " "] {
                let e = #expect(throws: VaultError.self) {
                    try Identity.load(from: path, passphrase: try passphrase(wrong))
                }
                #expect(e?.code == .authenticationFailed, "passphrase \(wrong.debugDescription)")
                #expect(e.map { !$0.message.contains(wrong) && !$0.message.contains(Self.secret) } ?? false)
            }
        }
    }

    @Test func emptyPassphraseIsRejected() {
        let e = #expect(throws: VaultError.self) { try passphrase("\n") }
        #expect(e?.code == .invalidInput)
    }

    @Test func writeRefusesToOverwrite() throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            let before = try readBytes(path)
            let e = #expect(throws: VaultError.self) {
                try Identity.generate(name: "Another").write(
                    to: path, passphrase: try passphrase("annan"), kdf: .interactive)
            }
            #expect(e?.code == .alreadyExists)
            #expect(try readBytes(path) == before)

            // Nor is any other file overwritten.
            let other = try dir.write("notes.txt", Array("keep me".utf8))
            #expect(throws: VaultError.self) {
                try Identity.generate(name: "Another").write(
                    to: other, passphrase: try passphrase("annan"), kdf: .interactive)
            }
            #expect(try readBytes(other) == Array("keep me".utf8))
        }
    }

    @Test func fileModeIs0600() throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            #expect(fileMode(path) == 0o600)
        }
    }

    // MARK: public key tokens

    @Test func everySingleCharacterChangeOfAPublicKeyIsRejected() throws {
        let token = try Identity.generate(name: "T").publicKey.token
        let chars = Array(token)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var accepted: [String] = []
        var wrongCode: [String] = []
        var tried = 0
        for position in chars.indices {
            for c in alphabet + ["1", "0", "A", "-"] where c != chars[position] {
                var mistyped = chars
                mistyped[position] = c
                tried += 1
                do {
                    _ = try PublicKey(token: String(mistyped))
                    accepted.append("position \(position) → \(c)")
                } catch {
                    if error.code != .invalidInput { wrongCode.append("position \(position) → \(c): \(error.code)") }
                }
            }
        }
        #expect(tried > 100 * 31)
        #expect(accepted.isEmpty, "mistyped keys accepted: \(accepted.prefix(10))")
        #expect(wrongCode.isEmpty, "\(wrongCode.prefix(10))")
    }

    @Test func swappedNeighboursInAPublicKeyAreRejected() throws {
        let token = try Identity.generate(name: "T").publicKey.token
        let chars = Array(token)
        var accepted: [Int] = []
        for i in 0..<(chars.count - 1) where chars[i] != chars[i + 1] {
            var swapped = chars
            swapped.swapAt(i, i + 1)
            if (try? PublicKey(token: String(swapped))) != nil { accepted.append(i) }
        }
        #expect(accepted.isEmpty, "transpositions accepted at \(accepted)")
    }

    @Test(arguments: [1, 2, 5, 8, 50, 108])
    func truncatedPublicKeyIsRejected(dropped: Int) throws {
        let token = try Identity.generate(name: "T").publicKey.token
        let e = #expect(throws: VaultError.self) { try PublicKey(token: String(token.dropLast(dropped))) }
        #expect(e?.code == .invalidInput)
    }

    @Test func extendedPublicKeyIsRejected() throws {
        let token = try Identity.generate(name: "T").publicKey.token
        for extra in ["a", "q", "aaaaaaaa", "2"] {
            let e = #expect(throws: VaultError.self) { try PublicKey(token: token + extra) }
            #expect(e?.code == .invalidInput)
        }
    }

    @Test(arguments: ["svpk2", "svpk", "spvk1", "SVPK1", "age1", ""])
    func wrongPrefixIsRejected(prefix: String) throws {
        let token = try Identity.generate(name: "T").publicKey.token
        let body = token.dropFirst("svpk1".count)
        let e = #expect(throws: VaultError.self) { try PublicKey(token: prefix + body) }
        #expect(e?.code == .invalidInput)
    }

    @Test func aPublicKeyOfTheRightShapeFromAnotherIdentityIsNotThisOne() throws {
        let a = try Identity.generate(name: "A").publicKey
        let b = try Identity.generate(name: "B").publicKey
        #expect(try PublicKey(token: a.token) != b)
        #expect(a.keyID != b.keyID)
        #expect(a.keyID.count == 16)
    }

    // MARK: a damaged identity file

    /// One byte flipped in each region of the file (`IdentityFile`'s layout), with the error
    /// each must give. Nothing crashes, nothing hangs, nothing loads.
    struct Flip: Sendable, CustomTestStringConvertible {
        var region: String
        /// Negative: from the end.
        var offset: Int
        var expected: [VaultError.Code]
        var testDescription: String { "\(region) @\(offset)" }
    }

    static let flips: [Flip] = [
        Flip(region: "magic", offset: 0, expected: [.invalidInput]),
        Flip(region: "magic", offset: 3, expected: [.invalidInput]),
        Flip(region: "format version", offset: 4, expected: [.unsupported]),
        Flip(region: "kdf algorithm", offset: 5, expected: [.unsupported]),
        Flip(region: "opslimit (high byte: out of range)", offset: 6, expected: [.invalidInput]),
        Flip(region: "opslimit (low byte)", offset: 13, expected: [.authenticationFailed]),
        Flip(region: "memlimit (high byte: out of range)", offset: 14, expected: [.invalidInput]),
        Flip(region: "memlimit (low byte)", offset: 21, expected: [.authenticationFailed]),
        Flip(region: "salt", offset: 22, expected: [.authenticationFailed]),
        Flip(region: "salt", offset: 37, expected: [.authenticationFailed]),
        Flip(region: "nonce", offset: 38, expected: [.authenticationFailed]),
        Flip(region: "nonce", offset: 61, expected: [.authenticationFailed]),
        Flip(region: "x25519 public key", offset: 62, expected: [.authenticationFailed]),
        Flip(region: "x25519 public key", offset: 93, expected: [.authenticationFailed]),
        Flip(region: "ed25519 public key", offset: 94, expected: [.authenticationFailed]),
        Flip(region: "ed25519 public key", offset: 125, expected: [.authenticationFailed]),
        Flip(region: "ciphertext (x25519 secret)", offset: 126, expected: [.authenticationFailed]),
        Flip(region: "ciphertext (ed25519 seed)", offset: 126 + 40, expected: [.authenticationFailed]),
        Flip(region: "ciphertext (name)", offset: 126 + 65, expected: [.authenticationFailed]),
        Flip(region: "tag", offset: -1, expected: [.authenticationFailed]),
    ]

    @Test(arguments: flips)
    func flippedByteInIdentityFileFailsCleanly(flip: Flip) throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            var bytes = try readBytes(path)
            let at = flip.offset >= 0 ? flip.offset : bytes.count + flip.offset
            try #require(at < bytes.count)
            bytes[at] ^= 0x01
            let damaged = try dir.write("damaged", bytes)
            let e = #expect(throws: VaultError.self) {
                try Identity.load(from: damaged, passphrase: try passphrase(Self.secret))
            }
            #expect(e.map { flip.expected.contains($0.code) } ?? false, "got \(String(describing: e?.code))")
            #expect(e.map { !$0.message.isEmpty && !$0.message.contains(Self.secret) } ?? false)
        }
    }

    @Test(arguments: [0, 1, 3, 4, 5, 6, 21, 22, 61, 62, 125, 126, 127, 126 + 79, -1])
    func truncatedIdentityFileFailsCleanly(length: Int) throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            let bytes = try readBytes(path)
            let keep = length >= 0 ? length : bytes.count + length
            let cut = try dir.write("truncated", Array(bytes[0..<keep]))
            let e = #expect(throws: VaultError.self) {
                try Identity.load(from: cut, passphrase: try passphrase(Self.secret))
            }
            let clean: [VaultError.Code] = [.invalidInput, .corrupt, .authenticationFailed]
            #expect(e.map { clean.contains($0.code) } ?? false, "got \(String(describing: e?.code))")
            // Cut inside the header, the file is not even read as far as the passphrase.
            if keep < IdentityFile.headerBytes + 64 + 16 {
                #expect(e?.code != .authenticationFailed)
            }
        }
    }

    @Test func oversizedIdentityFileIsRejected() throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            let huge = try dir.write("huge", try readBytes(path) + [UInt8](repeating: 0x41, count: 8192))
            let e = #expect(throws: VaultError.self) {
                try Identity.load(from: huge, passphrase: try passphrase(Self.secret))
            }
            #expect(e?.code == .invalidInput)
        }
    }

    @Test func identityWithAnotherPersonsPublicKeysIsRejected() throws {
        // Replacing the clear public keys by someone else's is caught (they are associated data).
        try withTemporaryDirectory { dir in
            let (_, path) = try written(in: dir)
            var bytes = try readBytes(path)
            let stranger = try Identity.generate(name: "Stranger").publicKey
            bytes.replaceSubrange(62..<94, with: stranger.boxKey)
            bytes.replaceSubrange(94..<126, with: stranger.signingKey)
            let forged = try dir.write("forged", bytes)
            #expect(try Identity.publicKey(ofFile: forged) == stranger)
            let e = #expect(throws: VaultError.self) {
                try Identity.load(from: forged, passphrase: try passphrase(Self.secret))
            }
            #expect(e?.code == .authenticationFailed)
        }
    }
}
