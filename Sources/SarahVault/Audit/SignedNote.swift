import Foundation

/// A C2SP signed note (c2sp.org/signed-note) with Ed25519 signatures: text, a blank line, and
/// one line per signature, `— <key name> base64(key id || signature)`.
///
/// The format is the Go ecosystem's (`golang.org/x/mod/sumdb/note`), so a checkpoint that
/// SarahVault writes can be checked with the standard tools, and one they write can be read
/// here. Parsing treats every note as hostile: size and signature count are limited, the text
/// must be UTF-8 without control characters other than newline, every signature line is checked
/// whole, and base64 must be canonical, so that each note has exactly one spelling.
struct SignedNote: Sendable, Equatable {
    /// Far above a checkpoint with a hundred cosignatures; a larger file is not a note of ours.
    static let maxBytes = 128 * 1024
    /// The specification asks verifiers to accept at least 16; Go's implementation stops at 100.
    static let maxSignatures = 100
    /// U+2014 EM DASH, then a space.
    static let signaturePrefix: [UInt8] = [0xe2, 0x80, 0x94, 0x20]

    /// The signed text, ending in a newline (which it includes; the blank line is not part of it).
    let text: String
    private(set) var signatures: [Signature]

    struct Signature: Sendable, Equatable {
        var name: String
        /// 4 bytes: the big-endian uint32 key id.
        var keyID: [UInt8]
        /// What the key's algorithm produced over the text (64 bytes for Ed25519).
        var bytes: [UInt8]

        var line: String { "— \(name) \(Base64.encode(keyID + bytes))\n" }
    }

    /// An unsigned note over `text`, which must end in a newline.
    init(text: String) throws(VaultError) {
        let bytes = Array(text.utf8)
        guard bytes.last == 0x0a else { throw Self.malformed("its text does not end in a newline") }
        guard bytes.count < Self.maxBytes else { throw Self.malformed("its text is too large") }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0a }) else {
            throw Self.malformed("its text contains control characters")
        }
        self.text = text
        self.signatures = []
    }

    /// Parses a note without verifying it (see `verify(by:)`); any deviation from the format is
    /// an `.invalidInput` error naming what is wrong.
    init(parsing bytes: [UInt8]) throws(VaultError) {
        guard bytes.count <= Self.maxBytes else {
            throw Self.malformed("it is larger than \(Self.maxBytes) bytes")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw Self.malformed("it is not UTF-8 text")
        }
        if let bad = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x0a }) {
            throw Self.malformed("it contains a control character at byte \(bad)")
        }
        // The text ends at the last blank line; everything after it is signature lines.
        guard let split = Self.lastBlankLine(bytes) else {
            throw Self.malformed("it has no blank line between its text and its signatures")
        }
        let textBytes = Array(bytes[...split])
        let sigBytes = bytes[(split + 2)...]
        guard !sigBytes.isEmpty else { throw Self.malformed("it has no signature lines") }
        guard sigBytes.last == 0x0a else {
            throw Self.malformed("its last signature line does not end in a newline (truncated or trailing bytes)")
        }
        var signatures: [Signature] = []
        for (n, line) in sigBytes.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            guard signatures.count < Self.maxSignatures else {
                throw Self.malformed("it has more than \(Self.maxSignatures) signatures")
            }
            signatures.append(try Self.parseSignatureLine(Array(line), number: n + 1))
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
    }

    /// The note as it is written to a file.
    var serialized: String { text + "\n" + signatures.map(\.line).joined() }

    /// Adds an Ed25519 signature over the text by `key`, under the key name `name`.
    mutating func sign(name: String, key: SigningKeyPair) throws(VaultError) {
        let verifier = try Verifier(name: name, publicKey: key.publicKey)
        guard signatures.count < Self.maxSignatures else {
            throw VaultError(.invalidInput, "the note already carries \(Self.maxSignatures) signatures")
        }
        // Signing twice with one key adds nothing (Ed25519 signatures are deterministic).
        guard !signatures.contains(where: { $0.name == name && $0.keyID == verifier.keyID }) else { return }
        signatures.append(Signature(name: name, keyID: verifier.keyID, bytes: key.sign(Array(text.utf8))))
    }

    /// Verifies the note against the keys the caller trusts and returns those whose signatures
    /// hold.
    ///
    /// As the specification requires, a signature whose (name, key id) matches no trusted key is
    /// ignored — it may be a cosigner the caller does not know — while one that matches a trusted
    /// key must verify, or the whole note is rejected. At least one trusted signature must hold.
    func verify(by trusted: [Verifier]) throws(VaultError) -> [Verifier] {
        let message = Array(text.utf8)
        var verified: [Verifier] = []
        for s in signatures {
            let candidates = trusted.filter { $0.name == s.name && $0.keyID == s.keyID }
            guard !candidates.isEmpty else { continue }
            guard let good = candidates.first(where: { $0.verify(message, s.bytes) }) else {
                throw VaultError(
                    .verificationFailed,
                    "the signature by \(s.name) (key id \(Hex.encode(s.keyID))) does not verify: the note was altered")
            }
            if !verified.contains(good) { verified.append(good) }
        }
        guard !verified.isEmpty else {
            throw VaultError(.verificationFailed, "the note carries no signature by a trusted key")
        }
        return verified
    }

    // MARK: parsing helpers

    /// The index of the first newline of the last "\n\n".
    private static func lastBlankLine(_ bytes: [UInt8]) -> Int? {
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == 0x0a && bytes[i + 1] == 0x0a { return i }
            i -= 1
        }
        return nil
    }

    private static func parseSignatureLine(_ line: [UInt8], number: Int) throws(VaultError) -> Signature {
        guard line.starts(with: signaturePrefix) else {
            throw malformed("signature line \(number) does not start with an em dash and a space")
        }
        let rest = line.dropFirst(signaturePrefix.count)
        guard let space = rest.firstIndex(of: 0x20) else {
            throw malformed("signature line \(number) has no signature after its key name")
        }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        guard isValidKeyName(name) else {
            throw malformed("signature line \(number) has an invalid key name")
        }
        guard let decoded = Base64.decode(String(decoding: rest[(space + 1)...], as: UTF8.self)), decoded.count > 4
        else {
            throw malformed("signature line \(number) does not hold a key id and a signature in canonical base64")
        }
        return Signature(name: name, keyID: Array(decoded[0..<4]), bytes: Array(decoded[4...]))
    }

    /// Key names are non-empty and hold neither Unicode spaces nor "+" (the verifier key
    /// string's separator).
    static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 1024
            && !name.unicodeScalars.contains {
                $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f
            }
    }

    private static func malformed(_ why: String) -> VaultError {
        VaultError(.invalidInput, "not a valid signed note: \(why)")
    }
}

extension SignedNote {
    /// An Ed25519 note key as a verifier sees it: name, key id and public key, written as the
    /// verifier key string `<name>+<hex key id>+base64(0x01 || public key)`.
    struct Verifier: Sendable, Equatable {
        /// The signature type byte for Ed25519 in the note specification.
        static let ed25519: UInt8 = 0x01

        let name: String
        let publicKey: [UInt8]
        let keyID: [UInt8]

        init(name: String, publicKey: [UInt8]) throws(VaultError) {
            guard SignedNote.isValidKeyName(name) else {
                throw VaultError(.invalidInput, "a note key name must be non-empty, without spaces or '+'")
            }
            guard publicKey.count == SigningKeyPair.publicKeyBytes else {
                throw VaultError(.invalidInput, "an Ed25519 public key is 32 bytes")
            }
            self.name = name
            self.publicKey = publicKey
            self.keyID = Self.keyID(name: name, publicKey: publicKey)
        }

        /// Parses a verifier key string; the key id it states must be the one its name and key
        /// give, so a mistyped or mismatched string is caught here rather than as a bad signature.
        init(parsing vkey: String) throws(VaultError) {
            // The name holds no "+", the key id is hex; the base64 key may well hold "+", so
            // only the first two separate fields (as in Go's `note.NewVerifier`).
            let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                throw VaultError(.invalidInput, "a note verifier key has the form name+keyid+key")
            }
            guard parts[1].utf8.count == 8, let stated = Hex.decode(String(parts[1])) else {
                throw VaultError(.invalidInput, "a note verifier key's key id is 8 hex digits")
            }
            guard let key = Base64.decode(String(parts[2])), key.count == 1 + SigningKeyPair.publicKeyBytes,
                key[0] == Self.ed25519
            else {
                throw VaultError(.invalidInput, "a note verifier key must hold an Ed25519 key (type 0x01, 32 bytes)")
            }
            try self.init(name: String(parts[0]), publicKey: Array(key[1...]))
            guard keyID == stated else {
                throw VaultError(.invalidInput, "a note verifier key's key id does not match its name and key")
            }
        }

        var verifierKey: String {
            "\(name)+\(Hex.encode(keyID))+\(Base64.encode([Self.ed25519] + publicKey))"
        }

        /// SHA-256(name || 0x0A || 0x01 || public key)[0..<4], as the specification recommends
        /// (and Go's implementation does): binding the name and the algorithm into the id means
        /// the same key under another name, or another algorithm, never matches.
        static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
            Array(Hash.sha256(Array(name.utf8), [0x0a, ed25519], publicKey)[0..<4])
        }

        func verify(_ message: [UInt8], _ signature: [UInt8]) -> Bool {
            SigningKeyPair.verify(signature: signature, message: message, publicKey: publicKey)
        }
    }

    /// RFC 4648 §4 standard base64 with padding, decoded strictly: only the canonical encoding
    /// of some bytes is accepted (no whitespace, no missing padding, no stray trailing bits).
    enum Base64 {
        static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

        static func decode(_ text: String) -> [UInt8]? {
            guard text.utf8.count % 4 == 0, text.utf8.count <= SignedNote.maxBytes,
                let data = Data(base64Encoded: text), data.base64EncodedString() == text
            else { return nil }
            return [UInt8](data)
        }
    }
}
