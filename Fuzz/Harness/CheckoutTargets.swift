@testable import SarahVault

/// Checkout packages, read with `CheckoutPackage.read` from a file as `open` and `checkin` do,
/// by the corpus holder (`Fuzz.holder`).
enum CheckoutTargets {
    /// The package file as it is: any header, any chunks. Nearly every mutation fails
    /// authentication; this target is for the header checks and the chunk loop.
    static let package = FuzzTarget(name: "checkout", summary: "checkout package file: CheckoutPackage.read") { bytes in
        read(Fuzz.writeScratch(bytes))
    }

    /// The package's plaintext, sealed properly to the holder by the harness, so that the
    /// parser behind the encryption is fuzzed: the manifest length, the manifest JSON (which is
    /// decoded before its signature is checked), the issuer signature, and the documents.
    ///
    /// First byte even: the rest is the whole plaintext stream (`u32 length | manifest |
    /// signature | documents`). First byte odd: the rest is `manifest JSON | 0x00 | documents`
    /// and the harness adds the length and the holder's signature as issuer, so the documents
    /// are reached whenever the manifest is valid.
    static let stream = FuzzTarget(
        name: "checkout-stream",
        summary: "checkout package plaintext, sealed to the holder: manifest JSON, signature, documents"
    ) { bytes in
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        let plaintext: [UInt8]
        if mode & 1 == 0 {
            plaintext = rest
        } else {
            let cut = rest.firstIndex(of: 0) ?? rest.count
            let manifest = Array(rest[..<cut])
            var w = ByteWriter()
            w.u32(UInt32(truncatingIfNeeded: manifest.count))
            plaintext =
                w.bytes + manifest + Fuzz.holder.sign(CheckoutPackage.signatureLabel + manifest)
                + rest.dropFirst(cut + 1)
        }
        read(Fuzz.writeScratch(seal(plaintext)))
    }

    /// A package file around `plaintext`, sealed to the holder as `CheckoutPackage.write` does.
    static func seal(_ plaintext: [UInt8]) -> [UInt8] {
        do throws(VaultError) {
            let key = try Sodium.randomSecret(32)
            let header =
                try CheckoutPackage.magic + [CheckoutPackage.version]
                + BoxKeyPair.seal(key, to: Fuzz.holder.box.publicKey)
            var file = header
            let sealer = StreamSealer(key: key, binding: header) { (chunk) throws(VaultError) in file += chunk }
            try sealer.write(plaintext)
            try sealer.finish()
            return file
        } catch {
            fatalError("cannot seal a package: \(error.message)")
        }
    }

    /// Reads the package in full and manifest-only. Whatever reads in full reads manifest-only
    /// to the same manifest, and delivers every listed document whole, in order.
    private static func read(_ path: String) {
        var delivered: [Int: Int64] = [:]
        var last = -1
        let full = try? CheckoutPackage.read(
            path: path, identity: Fuzz.holder,
            document: { (index, bytes) throws(VaultError) in
                Fuzz.expect(index >= last, "documents delivered out of order")
                last = index
                delivered[index, default: 0] += Int64(bytes.count)
            })
        let peek = try? CheckoutPackage.read(path: path, identity: Fuzz.holder, manifestOnly: true)
        guard let full else { return }
        Fuzz.expect(peek == full, "a package that reads in full but not manifest-only")
        for (i, d) in full.documents.enumerated() {
            Fuzz.expect(
                (delivered[i] ?? 0) == d.size, "document \(i) delivered \(delivered[i] ?? 0) bytes, not \(d.size)")
        }
        Fuzz.expect(delivered.keys.allSatisfy { $0 < full.documents.count }, "bytes delivered for an unlisted document")
    }
}
