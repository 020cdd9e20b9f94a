/// One entry of the audit log: who did what to which case, when, and whether it was granted.
///
/// Byte layout (all integers big-endian; `docs/FORMAT.md` is the contract):
/// ```
/// "SVAE" | version u8 = 1 | vault id (16) | seq u64 | time (ms since 1970, UTC) i64 |
/// actor key id (8) | actor Ed25519 public key (32) | role u8 (0 = not a member) |
/// result u8 (1 granted, 0 refused) | action (u8 length + ASCII) | case (u8 length + UTF-8) |
/// flags u8 (bit 0 document+version, bit 1 data hash, bit 2 key hash) |
/// [document u32, version u32] | [data hash (32)] | [key hash (32)] |
/// detail (u16 length + UTF-8) | previous entry's leaf hash (32) | Ed25519 signature (64)
/// ```
/// The signature covers every byte before it. The leaf hash is RFC 6962's
/// SHA-256(0x00 || entry bytes including the signature); each entry names the leaf hash of the
/// one before it (zeros for seq 0), so the entries form both a chain and the leaves of a
/// Merkle tree. No entry carries personal data: only identifiers, hashes and the action.
public struct AuditEntry: Sendable, Equatable {
    public enum Result: UInt8, Sendable {
        case refused = 0
        case granted = 1
        public var name: String { self == .granted ? "granted" : "refused" }
    }

    static let magic: [UInt8] = Array("SVAE".utf8)
    static let version: UInt8 = 1
    static let maxBytes = 64 * 1024

    public var vaultID: [UInt8]
    public var seq: Int64
    public var timeMillis: Int64
    public var actorKeyID: String
    public var actorSigningKey: [UInt8]
    /// nil for a person who is not a member (their refusal is still logged).
    public var role: Role?
    public var result: Result
    public var action: String
    public var caseID: String?
    public var document: Int64?
    public var version: Int64?
    public var dataHash: [UInt8]?
    public var keyHash: [UInt8]?
    public var detail: String
    public var previousHash: [UInt8]
    public var signature: [UInt8] = []

    /// The bytes the actor signs.
    var signedBytes: [UInt8] {
        var w = ByteWriter()
        w.append(Self.magic)
        w.u8(Self.version)
        w.append(vaultID)
        w.u64(UInt64(seq))
        w.i64(timeMillis)
        w.append(Hex.decode(actorKeyID) ?? [UInt8](repeating: 0, count: 8))
        w.append(actorSigningKey)
        w.u8(role?.code ?? 0)
        w.u8(result.rawValue)
        w.short(action)
        w.short(caseID ?? "")
        var flags: UInt8 = 0
        if document != nil { flags |= 1 }
        if dataHash != nil { flags |= 2 }
        if keyHash != nil { flags |= 4 }
        w.u8(flags)
        if let document {
            w.u32(UInt32(document))
            w.u32(UInt32(version ?? 0))
        }
        if let dataHash { w.append(dataHash) }
        if let keyHash { w.append(keyHash) }
        w.long(Array(detail.utf8))
        w.append(previousHash)
        return w.bytes
    }

    public var bytes: [UInt8] { signedBytes + signature }

    /// RFC 6962 leaf hash: SHA-256(0x00 || bytes).
    public var leafHash: [UInt8] { Self.leafHash(of: bytes) }

    static func leafHash(of bytes: [UInt8]) -> [UInt8] { Hash.sha256([0], bytes) }

    /// The value of `name=value` in the detail (details are space-separated `name=value` pairs).
    func detailValue(_ name: String) -> String? {
        for part in detail.split(separator: " ") where part.hasPrefix(name + "=") {
            return String(part.dropFirst(name.count + 1))
        }
        return nil
    }

    func verifySignature() -> Bool {
        SigningKeyPair.verify(signature: signature, message: signedBytes, publicKey: actorSigningKey)
    }

    /// Checks the signature of stored bytes that parsed as this entry, over the bytes exactly
    /// as stored (everything before the last 64), as `docs/FORMAT.md` defines it — without
    /// re-encoding the fields. The parser accepts one encoding only, so this agrees with
    /// `verifySignature()`; it is the cheaper of the two for a verifier holding the bytes.
    func signatureHolds(over bytes: [UInt8]) -> Bool {
        let n = bytes.count - SigningKeyPair.signatureBytes
        guard n > 0 else { return false }
        return SigningKeyPair.verify(
            signature: Array(bytes[n...]), message: Array(bytes[..<n]), publicKey: actorSigningKey)
    }

    public init(
        vaultID: [UInt8], seq: Int64, timeMillis: Int64, actorKeyID: String, actorSigningKey: [UInt8], role: Role?,
        result: Result, action: String, caseID: String? = nil, document: Int64? = nil, version: Int64? = nil,
        dataHash: [UInt8]? = nil, keyHash: [UInt8]? = nil, detail: String = "", previousHash: [UInt8]
    ) {
        self.vaultID = vaultID
        self.seq = seq
        self.timeMillis = timeMillis
        self.actorKeyID = actorKeyID
        self.actorSigningKey = actorSigningKey
        self.role = role
        self.result = result
        self.action = action
        self.caseID = caseID
        self.document = document
        self.version = version
        self.dataHash = dataHash
        self.keyHash = keyHash
        self.detail = detail
        self.previousHash = previousHash
    }

    /// Parses stored or exported bytes; every length and field is checked.
    public init(bytes: [UInt8]) throws(VaultError) {
        guard bytes.count <= Self.maxBytes else { throw VaultError(.corrupt, "an audit entry is too large") }
        var r = ByteReader(bytes, what: "an audit entry")
        guard try r.take(4) == Self.magic else { throw VaultError(.corrupt, "an audit entry has the wrong magic") }
        let v = try r.u8()
        guard v == Self.version else { throw VaultError(.corrupt, "an audit entry has unknown version \(v)") }
        vaultID = try r.take(16)
        let s = try r.u64()
        guard s <= UInt64(Int64.max) else { throw VaultError(.corrupt, "an audit entry has an impossible seq") }
        seq = Int64(s)
        timeMillis = try r.i64()
        actorKeyID = Hex.encode(try r.take(8))
        actorSigningKey = try r.take(32)
        let roleCode = try r.u8()
        if roleCode == 0 {
            role = nil
        } else {
            guard let role = Role(code: roleCode) else {
                throw VaultError(.corrupt, "an audit entry has an unknown role")
            }
            self.role = role
        }
        guard let result = Result(rawValue: try r.u8()) else {
            throw VaultError(.corrupt, "an audit entry has an unknown result")
        }
        self.result = result
        action = try r.short()
        let c = try r.short()
        caseID = c.isEmpty ? nil : c
        let flags = try r.u8()
        guard flags & ~7 == 0 else { throw VaultError(.corrupt, "an audit entry has unknown flags") }
        if flags & 1 != 0 {
            document = Int64(try r.u32())
            version = Int64(try r.u32())
        }
        if flags & 2 != 0 { dataHash = try r.take(32) }
        if flags & 4 != 0 { keyHash = try r.take(32) }
        detail = try r.utf8(try r.long())
        previousHash = try r.take(32)
        signature = try r.take(64)
        try r.expectEnd()
    }
}

/// The actions an entry can name. Strings, so the log reads plainly and new actions need no
/// format change.
enum AuditAction {
    static let initVault = "vault.init"
    static let addMember = "member.add"
    static let listMembers = "member.list"
    static let archiveCase = "case.archive"
    static let addDocument = "document.add"
    static let listCases = "case.list"
    static let showCase = "case.show"
    static let readDocument = "document.read"
    static let grant = "case.grant"
    static let revoke = "case.revoke"
    static let readLog = "audit.log"
    static let verifyLog = "audit.verify"
    static let assign = "case.assign"
    static let decide = "case.decide"
    static let backup = "vault.backup"
    static let rotateBoardKey = "board.rotate"
    static let restore = "vault.restore"
    static let checkoutIssue = "checkout.issue"
    static let checkoutCancel = "checkout.cancel"
    static let checkoutReturn = "checkout.return"
    static let checkoutLost = "checkout.lost"
    static let listCheckouts = "checkout.list"
    static let removeMember = "member.remove"
    static let setPolicy = "policy.set"
    static let showPolicy = "policy.show"
    static let recover = "vault.recover"
    static let writeSummary = "summary.write"
    static let readSummaries = "summary.read"
    static let cosign = "audit.cosign"
    static let prove = "audit.prove"
    static let review = "audit.review"
    static let export = "audit.export"
}
