@testable import SarahVault

/// Identity files, public key tokens and recovery keys: what a person hands the CLI as a key.
enum KeyTargets {
    /// `IdentityFile.publicKey(of:)` (read before any passphrase prompt) and
    /// `IdentityFile.decode(_:passphrase:)` with the corpus passphrase.
    ///
    /// Decoding runs Argon2id with the limits the file states, which the library bounds at
    /// 4 GiB and 32 passes: far too slow for a fuzzer. So the full decode runs only when the
    /// stated limits are tiny (the corpus's own identities use the minimum: 1 pass, 8 KiB);
    /// for any other file only the checks before the KDF run, through `publicKey(of:)`.
    static let identity = FuzzTarget(
        name: "identity", summary: "identity file: IdentityFile.publicKey(of:) and decode(_:passphrase:)"
    ) { bytes in
        let publicKey = try? IdentityFile.publicKey(of: bytes)
        let ops = Fuzz.be(bytes, 6, 8)
        let mem = Fuzz.be(bytes, 14, 8)
        guard ops <= 2, mem <= 64 * 1024 else { return }
        guard let identity = try? IdentityFile.decode(bytes, passphrase: Fuzz.passphrase()) else { return }
        // A file that unlocks has the header `publicKey(of:)` reads, and its clear public keys
        // are those of its secrets.
        Fuzz.expect(publicKey == identity.publicKey, "decode and publicKey(of:) disagree on the key")
        Fuzz.expect(bytes.count <= IdentityFile.maxBytes, "an oversized identity file was accepted")
    }

    /// `PublicKey(token:)`: the `svpk1…` word of `member add --key`, roster files and `--key`.
    static let publicKey = FuzzTarget(name: "public-key", summary: "public key token: PublicKey(token:)") { bytes in
        let text = Fuzz.text(bytes)
        guard let key = try? PublicKey(token: text) else { return }
        // One spelling per key: base32 without padding, lowercase, no stray bits, checksum.
        Fuzz.expect(
            Array(key.token.utf8) == Array(text.trimmingWhitespace().utf8), "a second spelling of a key was accepted")
        Fuzz.expect(key.boxKey.count == 32 && key.signingKey.count == 32, "a key of the wrong length")
        Fuzz.expect((try? PublicKey(token: key.token)) == key, "a token does not parse back to its key")
        Fuzz.expect(key.keyID.utf8.count == 16, "a key id that is not 16 hex digits")
    }

    /// `RecoveryKey(text:)`: the paper form read by `recover --recovery-file`.
    static let recoveryKey = FuzzTarget(name: "recovery-key", summary: "recovery key text: RecoveryKey(text:)") {
        bytes in
        guard let key = try? RecoveryKey(text: Fuzz.text(bytes)) else { return }
        let printed = key.text
        Fuzz.expect(printed.hasPrefix("svrk1-"), "a recovery key printed without its prefix")
        guard let again = try? RecoveryKey(text: printed) else {
            Fuzz.expect(false, "a recovery key's own paper form does not parse")
            return
        }
        Fuzz.expect(again.publicBytes == key.publicBytes, "a recovery key's paper form names another key")
    }
}
