import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The checkout package: one file that only its holder's identity opens, and that tells a
/// finder nothing but that it is a SarahVault package.
///
/// ```
/// "SVCO" | version u8 = 1 | sealed package key (80) = crypto_box_seal(K, holder's X25519 key)
/// | chunk stream under K (FORMAT.md §7), associated data = the 85 header bytes
/// ```
/// The stream's plaintext: `u32 manifest length | manifest (UTF-8 JSON) | Ed25519 signature by
/// the issuer over "sarahvault/v1/checkout" || manifest | each document's bytes, in manifest
/// order`. Everything identifying — diarienummer, unit, names, the number of documents — is
/// inside the encryption; any changed, dropped or appended byte fails to open.
enum CheckoutPackage {
    static let magic: [UInt8] = Array("SVCO".utf8)
    static let version: UInt8 = 1
    static let headerBytes = 5 + 32 + BoxKeyPair.sealOverhead
    static let maxManifest = 1 << 20
    static let signatureLabel = Array("sarahvault/v1/checkout".utf8)

    /// Writes a package to a new file. `documents` hands each document's plaintext, in
    /// manifest order, to the writer it is given.
    static func write(
        to path: String, manifest: CheckoutManifest, holder: PublicKey, issuer: Identity,
        documents: (_ write: (UnsafeRawBufferPointer) throws(VaultError) -> Void) throws(VaultError) -> Void
    ) throws(VaultError) {
        let key = try Sodium.randomSecret(32)
        var header = magic + [version]
        header += try BoxKeyPair.seal(key, to: holder.boxKey)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(manifest) else {
            throw VaultError(.internalError, "could not encode the checkout manifest")
        }
        let manifestBytes = Array(json)
        // Written under a temporary name and linked into place only when complete: a crash
        // mid-write leaves no half package under the name the user gave.
        if access(path, F_OK) == 0 {
            throw VaultError(.alreadyExists, "\(path) already exists: refusing to overwrite it")
        }
        let temp = path + ".partial-" + Hex.encode(Sodium.randomBytes(4))
        let fd = PartialFiles.create(temp)
        guard fd >= 0 else { throw FileIO.openError(path, what: "package") }
        var closed = false
        defer {
            if !closed { close(fd) }
            PartialFiles.discard(temp)
        }
        guard FileIO.writeAll(fd, header) else { throw VaultError(.io, "cannot write \(path)") }
        let sealer = StreamSealer(key: key, binding: header) { (sealed) throws(VaultError) in
            guard FileIO.writeAll(fd, sealed) else {
                throw VaultError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
        var w = ByteWriter()
        w.u32(UInt32(manifestBytes.count))
        try sealer.write(w.bytes)
        try sealer.write(manifestBytes)
        try sealer.write(issuer.sign(signatureLabel + manifestBytes))
        try documents { (p) throws(VaultError) in try sealer.write(p) }
        try sealer.finish()
        guard fsync(fd) == 0 else { throw VaultError(.io, "cannot write \(path)") }
        closed = true
        guard close(fd) == 0 else { throw VaultError(.io, "cannot write \(path)") }
        guard link(temp, path) == 0 else {
            if errno == EEXIST { throw VaultError(.alreadyExists, "\(path) already exists: refusing to overwrite it") }
            throw VaultError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Opens a package with the holder's identity: checks the header, the manifest and its
    /// signature, then streams the documents to `document` (name, bytes) — and only returns
    /// normally if every byte authenticated to the end. With `manifestOnly`, stops after the
    /// signed manifest.
    @discardableResult
    static func read(
        path: String, identity: Identity, manifestOnly: Bool = false,
        checkManifest: (CheckoutManifest) throws(VaultError) -> Void = { _ in },
        document: (_ index: Int, _ bytes: UnsafeRawBufferPointer) throws(VaultError) -> Void = { _, _ in }
    ) throws(VaultError) -> CheckoutManifest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.openError(path, what: "package") }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: headerBytes)
        let got = header.withUnsafeMutableBytes { readFully(fd, $0) }
        guard got >= 5, Array(header[0..<4]) == magic else {
            throw VaultError(.invalidInput, "\(path) is not a SarahVault checkout package")
        }
        guard header[4] == version else {
            throw VaultError(.unsupported, "checkout package version \(header[4]) is not supported")
        }
        guard got == headerBytes else { throw VaultError(.invalidInput, "the package is truncated") }
        guard let key = try identity.box.open(Array(header[5...])), key.count == 32 else {
            throw VaultError(
                .authenticationFailed, "this package is not for your identity, or it was altered",
                hints: ["only the holder named when it was checked out can open it"])
        }
        let parser = PackageParser(manifestOnly: manifestOnly)
        var current = [UInt8](repeating: 0, count: ChunkedCipher.sealedChunkSize)
        var next = [UInt8](repeating: 0, count: ChunkedCipher.sealedChunkSize)
        var plain = [UInt8](repeating: 0, count: ChunkedCipher.chunkSize)
        defer { Sodium.wipe(&plain) }
        var count = current.withUnsafeMutableBytes { readFully(fd, $0) }
        var index: UInt64 = 0
        while true {
            let nextCount =
                count == ChunkedCipher.sealedChunkSize ? next.withUnsafeMutableBytes { readFully(fd, $0) } : 0
            let isLast = nextCount == 0
            guard count >= AEAD.tagBytes else {
                throw VaultError(.authenticationFailed, "the package is truncated or altered")
            }
            let ok = current.withUnsafeBytes { c in
                plain.withUnsafeMutableBytes { p in
                    AEAD.open(
                        UnsafeRawBufferPointer(rebasing: c[0..<count]), key: key,
                        nonce: ChunkedCipher.nonce(index: index, final: isLast), ad: header,
                        into: p)
                }
            }
            guard ok else {
                throw VaultError(
                    .authenticationFailed, "the package was altered, truncated or extended: it does not open")
            }
            let stop = try plain.withBytes { (p) throws(VaultError) in
                try parser.feed(
                    UnsafeRawBufferPointer(rebasing: p[0..<(count - AEAD.tagBytes)]), checkManifest: checkManifest,
                    document: document)
            }
            if stop || isLast { break }
            swap(&current, &next)
            count = nextCount
            index += 1
        }
        return try parser.finish()
    }

    private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return filled
    }
}

/// Splits a package's plaintext into manifest, signature and documents as it streams by.
private final class PackageParser {
    private enum State {
        case length, manifest(Int), signature, documents, done
    }

    private let manifestOnly: Bool
    private var state = State.length
    private var pending: [UInt8] = []
    private var manifestBytes: [UInt8] = []
    private(set) var manifest: CheckoutManifest?
    private var docIndex = 0
    private var docRemaining: Int64 = 0

    init(manifestOnly: Bool) {
        self.manifestOnly = manifestOnly
    }

    /// Returns true when nothing more is wanted (manifest only).
    func feed(
        _ bytes: UnsafeRawBufferPointer, checkManifest: (CheckoutManifest) throws(VaultError) -> Void,
        document: (Int, UnsafeRawBufferPointer) throws(VaultError) -> Void
    ) throws(VaultError) -> Bool {
        var offset = 0
        while offset < bytes.count {
            switch state {
            case .length, .manifest, .signature:
                let need: Int
                switch state {
                case .length: need = 4
                case .manifest(let n): need = n
                default: need = 64
                }
                let n = min(need - pending.count, bytes.count - offset)
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
                offset += n
                guard pending.count == need else { continue }
                try advance(checkManifest)
                if manifestOnly, case .documents = state { state = .done; return true }
            case .documents:
                while docRemaining == 0 {
                    docIndex += 1
                    guard let m = manifest, docIndex < m.documents.count else {
                        throw VaultError(.corrupt, "the package holds more bytes than its manifest lists")
                    }
                    docRemaining = m.documents[docIndex].size
                }
                let n = Int(min(Int64(bytes.count - offset), docRemaining))
                try document(docIndex, UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
                docRemaining -= Int64(n)
                offset += n
            case .done:
                return true
            }
        }
        return false
    }

    private func advance(_ checkManifest: (CheckoutManifest) throws(VaultError) -> Void) throws(VaultError) {
        switch state {
        case .length:
            let n = pending.reduce(0) { $0 << 8 | Int($1) }
            guard n > 0, n <= CheckoutPackage.maxManifest else {
                throw VaultError(.corrupt, "the package's manifest has an impossible length")
            }
            state = .manifest(n)
        case .manifest:
            manifestBytes = pending
            guard let m = try? JSONDecoder().decode(CheckoutManifest.self, from: Data(pending)), m.format == 1,
                m.documents.count <= 10_000, m.documents.allSatisfy({ $0.size >= 0 })
            else { throw VaultError(.corrupt, "the package's manifest is not valid") }
            manifest = m
            state = .signature
        case .signature:
            guard let m = manifest, let issuer = try? PublicKey(token: m.issuerKey), issuer.keyID == m.issuer,
                SigningKeyPair.verify(
                    signature: pending, message: CheckoutPackage.signatureLabel + manifestBytes,
                    publicKey: issuer.signingKey)
            else { throw VaultError(.authenticationFailed, "the package's issuer signature does not verify") }
            try checkManifest(m)
            state = .documents
            docIndex = -1
            docRemaining = 0
        case .documents, .done:
            break
        }
        pending.removeAll()
    }

    func finish() throws(VaultError) -> CheckoutManifest {
        guard let m = manifest else { throw VaultError(.corrupt, "the package ends before its manifest") }
        if case .done = state { return m }
        guard case .documents = state else { throw VaultError(.corrupt, "the package ends inside its header") }
        // Every listed document must have arrived whole.
        guard docRemaining == 0, m.documents.dropFirst(docIndex + 1).allSatisfy({ $0.size == 0 }) else {
            throw VaultError(.corrupt, "the package ends before its last document")
        }
        return m
    }
}
