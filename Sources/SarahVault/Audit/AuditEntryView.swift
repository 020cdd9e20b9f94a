/// An audit entry's fields, decoded, as the JSON of `audit export`, `audit review` and
/// `audit verify-proof` shows them. Hashes and keys are lowercase hex; every key is present in
/// every object (`null` where the entry has none).
public struct AuditEntryView: Sendable, Codable, Equatable {
    public var seq: Int64
    /// ISO 8601 in UTC, with milliseconds.
    public var time: String
    public var timeMillis: Int64
    /// The actor's key id.
    public var actor: String
    public var actorSigningKey: String
    /// The role the actor acted in; `none` for a person who is not a member.
    public var role: String
    /// `granted` or `refused`.
    public var result: String
    public var action: String
    public var `case`: String?
    public var document: Int64?
    public var version: Int64?
    public var dataHash: String?
    public var keyHash: String?
    public var detail: String
    public var previousHash: String

    public init(_ e: AuditEntry) {
        seq = e.seq
        time = AuditTime.iso(e.timeMillis)
        timeMillis = e.timeMillis
        actor = e.actorKeyID
        actorSigningKey = Hex.encode(e.actorSigningKey)
        role = e.role?.rawValue ?? "none"
        result = e.result.name
        action = e.action
        self.case = e.caseID
        document = e.document
        version = e.version
        dataHash = e.dataHash.map { Hex.encode($0) }
        keyHash = e.keyHash.map { Hex.encode($0) }
        detail = e.detail
        previousHash = Hex.encode(e.previousHash)
    }

    enum CodingKeys: String, CodingKey {
        case seq, time, timeMillis, actor, actorSigningKey, role, result, action, `case`, document, version
        case dataHash, keyHash, detail, previousHash
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(time, forKey: .time)
        try c.encode(timeMillis, forKey: .timeMillis)
        try c.encode(actor, forKey: .actor)
        try c.encode(actorSigningKey, forKey: .actorSigningKey)
        try c.encode(role, forKey: .role)
        try c.encode(result, forKey: .result)
        try c.encode(action, forKey: .action)
        try c.encode(self.case, forKey: .case)
        try c.encode(document, forKey: .document)
        try c.encode(version, forKey: .version)
        try c.encode(dataHash, forKey: .dataHash)
        try c.encode(keyHash, forKey: .keyHash)
        try c.encode(detail, forKey: .detail)
        try c.encode(previousHash, forKey: .previousHash)
    }
}
