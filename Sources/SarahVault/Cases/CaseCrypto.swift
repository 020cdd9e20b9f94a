/// How a case's secrets are laid out (see `docs/FORMAT.md`, "Cases"):
///
/// - each case has an X25519 key pair, the **case key**; its secret half is sealed
///   (`crypto_box_seal`) to each person entitled to the case, its public half is in clear so
///   that anyone allowed to add documents can seal to the case without being able to read it;
/// - each document version has its own random 32-byte **version key**, sealed to the case's
///   public key together with the document's name (`version key || name`);
/// - the content is a `ChunkedCipher` stream under the version key, bound by `chunkBinding`.
enum CaseCrypto {
    /// Associated data of every chunk of one version:
    /// "sarahvault/v1/chunk" || vault id (16) || u8 len || case id || u32 document || u32 version.
    static func chunkBinding(vaultID: [UInt8], caseID: String, document: Int64, version: Int64) -> [UInt8] {
        var w = ByteWriter()
        w.append(Array("sarahvault/v1/chunk".utf8))
        w.append(vaultID)
        w.short(caseID)
        w.u32(UInt32(document))
        w.u32(UInt32(version))
        return w.bytes
    }

    /// What the case-creating entry signs as its data hash:
    /// SHA-256("sarahvault/v1/case" || u8 len || case id || u8 len || received date).
    static func registryHash(caseID: String, received: String) -> [UInt8] {
        var w = ByteWriter()
        w.append(Array("sarahvault/v1/case".utf8))
        w.short(caseID)
        w.short(received)
        return Hash.sha256(w.bytes)
    }

    /// What an entry that sets a case key signs as its key hash: SHA-256(case public key).
    static func publicKeyHash(_ pk: [UInt8]) -> [UInt8] { Hash.sha256(pk) }

    /// Seals `version key || name` to the case's public key.
    static func sealVersionKey(_ key: SecureBytes, name: String, to casePublicKey: [UInt8]) throws(VaultError)
        -> [UInt8]
    {
        let nameBytes = Array(name.utf8)
        let plain = try SecureBytes(count: 32 + nameBytes.count)
        plain.withUnsafeMutableBytes { p in
            key.withUnsafeBytes { p.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 32) }
            nameBytes.withUnsafeBytes { n in
                if n.count > 0 { (p.baseAddress! + 32).copyMemory(from: n.baseAddress!, byteCount: n.count) }
            }
        }
        return try BoxKeyPair.seal(plain, to: casePublicKey)
    }

    /// Opens a sealed version key: the key in guarded memory and the document's name.
    static func openVersionKey(_ sealed: [UInt8], with caseKey: BoxKeyPair) throws(VaultError) -> (SecureBytes, String)
    {
        guard let plain = try caseKey.open(sealed), plain.count >= 32 else {
            throw VaultError(
                .authenticationFailed, "a document key does not open with the case key: it was altered or moved")
        }
        let key = try plain.slice(0..<32)
        let nameBytes = plain.withUnsafeBytes { [UInt8]($0[32...]) }
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw VaultError(.corrupt, "a document name is not UTF-8")
        }
        return (key, name)
    }
}
