/// A self-contained, offline-checkable proof that one entry is in a vault's audit log: a C2SP
/// `tlog-proof` (c2sp.org/tlog-proof) whose extra data is the entry itself.
///
/// ```
/// c2sp.org/tlog-proof@v1
/// extra <base64 of the entry's bytes (docs/FORMAT.md §8)>
/// index <seq>
/// <base64 inclusion proof hash>            (zero or more lines, leaf's sibling first)
///
/// <the checkpoint, a signed note, verbatim>
/// ```
///
/// Checking it needs no vault: the entry's leaf hash, the index and the path must lead to the
/// checkpoint's root, and a key the checker trusts must have signed the checkpoint. The extra
/// data is not trusted for being there (the specification forbids that): it is trusted only
/// because its hash is proved to be the leaf at that index.
struct AuditProof: Sendable, Equatable {
    static let header = "c2sp.org/tlog-proof@v1"
    /// An entry of at most 64 KiB in base64, a path of at most 63 hashes and a note.
    static let maxBytes = 96 * 1024 + 64 * 46 + SignedNote.maxBytes
    static let maxPathLength = 63

    let entryBytes: [UInt8]
    let index: Int64
    let path: [[UInt8]]
    let note: SignedNote

    init(entryBytes: [UInt8], index: Int64, path: [[UInt8]], note: SignedNote) {
        self.entryBytes = entryBytes
        self.index = index
        self.path = path
        self.note = note
    }

    var text: String {
        var lines = [Self.header, "extra " + SignedNote.Base64.encode(entryBytes), "index \(index)"]
        lines += path.map { SignedNote.Base64.encode($0) }
        return lines.map { $0 + "\n" }.joined() + "\n" + note.serialized
    }

    /// Parses a proof strictly: every line in its place, canonical base64 and decimal, nothing
    /// extra. It does not verify anything (`verify(trusting:)` does).
    init(parsing bytes: [UInt8]) throws(VaultError) {
        guard bytes.count <= Self.maxBytes else { throw Self.malformed("it is larger than \(Self.maxBytes) bytes") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Self.malformed("it is not UTF-8 text") }
        // The proof lines end at the first blank line; the checkpoint note is the rest.
        var split: Int? = nil
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0a && bytes[i + 1] == 0x0a {
                split = i
                break
            }
            i += 1
        }
        guard let split else { throw Self.malformed("it has no blank line before its checkpoint") }
        let lines = bytes[..<split].split(separator: 0x0a, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard lines.first == Self.header else { throw Self.malformed("its first line is not '\(Self.header)'") }
        guard lines.count >= 3, lines[1].hasPrefix("extra ") else {
            throw Self.malformed("it carries no entry (the 'extra' line with the entry's bytes)")
        }
        guard let entry = SignedNote.Base64.decode(String(lines[1].dropFirst(6))), !entry.isEmpty,
            entry.count <= AuditEntry.maxBytes
        else {
            throw Self.malformed("its 'extra' line is not an entry in canonical base64")
        }
        guard lines[2].hasPrefix("index "), let index = Self.decimal(String(lines[2].dropFirst(6))) else {
            throw Self.malformed("its third line is not 'index' and a decimal number without leading zeros")
        }
        let hashLines = lines[3...]
        guard hashLines.count <= Self.maxPathLength else { throw Self.malformed("its inclusion proof is too long") }
        var path: [[UInt8]] = []
        for (n, line) in hashLines.enumerated() {
            guard let h = SignedNote.Base64.decode(line), h.count == MerkleTree.hashBytes else {
                throw Self.malformed("proof line \(n + 1) is not a 32-byte hash in canonical base64")
            }
            path.append(h)
        }
        let note = try SignedNote(parsing: Array(bytes[(split + 2)...]))
        self.init(entryBytes: entry, index: index, path: path, note: note)
    }

    /// Checks the proof against the keys the caller trusts; throws `.verificationFailed` naming
    /// what does not hold, or `.invalidInput` for what cannot be read.
    func verify(trusting keys: [PublicKey]) throws(VaultError) -> ProofReport {
        guard !keys.isEmpty else { throw VaultError(.invalidInput, "no key to trust: name the checkpoint's signer") }
        let checkpoint = try Checkpoint(text: note.text)
        let origin = checkpoint.origin
        guard origin.hasPrefix(Checkpoint.originPrefix),
            let vaultID = Hex.decode(String(origin.dropFirst(Checkpoint.originPrefix.count))), vaultID.count == 16,
            Checkpoint.origin(vaultID: vaultID) == origin
        else {
            throw VaultError(
                .verificationFailed, "the proof's checkpoint is not of a SarahVault log (origin \(origin))")
        }
        let entry: AuditEntry
        do throws(VaultError) {
            entry = try AuditEntry(bytes: entryBytes)
        } catch {
            throw VaultError(.verificationFailed, "the proof's entry is malformed: \(error.message)")
        }
        guard entry.seq == index else {
            throw VaultError(.verificationFailed, "the proof is for index \(index) but its entry says seq \(entry.seq)")
        }
        guard entry.vaultID == vaultID else {
            throw VaultError(
                .verificationFailed, "the proof's entry \(index) belongs to another vault than its checkpoint")
        }
        // 1. Who vouches for the tree: a trusted signature on the checkpoint.
        var verifiers: [(keyID: String, verifier: SignedNote.Verifier)] = []
        for key in keys {
            verifiers.append((key.keyID, try Checkpoint.verifier(origin: origin, signingKey: key.signingKey)))
        }
        let good: [SignedNote.Verifier]
        do throws(VaultError) {
            good = try note.verify(by: verifiers.map(\.verifier))
        } catch {
            throw VaultError(.verificationFailed, "the proof's checkpoint is not trusted: \(error.message)")
        }
        // 2. The entry is leaf `index` of that tree.
        guard index < checkpoint.size, let leafIndex = Int(exactly: index), let size = Int(exactly: checkpoint.size)
        else {
            throw VaultError(
                .verificationFailed, "entry \(index) is not in the checkpoint's tree of \(checkpoint.size) entries")
        }
        let leaf = AuditEntry.leafHash(of: entryBytes)
        do throws(VaultError) {
            try MerkleProof.verifyInclusion(
                leafHash: leaf, index: leafIndex, size: size, proof: path, root: checkpoint.rootHash)
        } catch {
            throw VaultError(.verificationFailed, "entry \(index) is not proved to be in the log: \(error.message)")
        }
        // 3. The entry is what its actor signed.
        guard entry.signatureHolds(over: entryBytes) else {
            throw VaultError(.verificationFailed, "entry \(index): its actor's signature does not verify")
        }
        return ProofReport(
            entry: AuditEntryView(entry), leafHash: Hex.encode(leaf), origin: origin, vaultID: Hex.encode(vaultID),
            checkpointSize: checkpoint.size, checkpointRoot: Hex.encode(checkpoint.rootHash),
            signers: verifiers.filter { v in good.contains(v.verifier) }.map(\.keyID))
    }

    private static func decimal(_ s: String) -> Int64? {
        let d = Array(s.utf8)
        guard !d.isEmpty, d.count <= 19, d.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), d.count == 1 || d[0] != 0x30
        else { return nil }
        return Int64(s)
    }

    private static func malformed(_ why: String) -> VaultError {
        VaultError(.invalidInput, "not a valid audit proof: \(why)")
    }
}

/// What an audit proof showed.
public struct ProofReport: Sendable, Codable, Equatable {
    public var entry: AuditEntryView
    public var leafHash: String
    public var origin: String
    public var vaultID: String
    public var checkpointSize: Int64
    public var checkpointRoot: String
    /// Key ids of the trusted keys whose signatures on the checkpoint hold.
    public var signers: [String]
}

/// Checking proofs without a vault.
public enum AuditProofs {
    /// Checks a proof file (from `audit prove`) offline against the public keys the caller
    /// trusts to sign checkpoints. Throws `.verificationFailed` when it does not hold,
    /// `.invalidInput` when it is not a proof.
    public static func verify(file path: String, trusting keys: [PublicKey]) throws(VaultError) -> ProofReport {
        let bytes = try FileIO.readSmall(path: path, limit: AuditProof.maxBytes, what: "audit proof")
        return try verify(bytes, trusting: keys)
    }

    public static func verify(_ bytes: [UInt8], trusting keys: [PublicKey]) throws(VaultError) -> ProofReport {
        try AuditProof(parsing: bytes).verify(trusting: keys)
    }
}
