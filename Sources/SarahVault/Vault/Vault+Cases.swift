import Foundation

extension Vault {
    static let recordDocument: Int64 = 0
    static let recordKind = "record"

    /// Archives files into case `diarienummer`, creating the case when it is new: a fresh case
    /// key, sealed to everyone the policy entitles (officers, the unit's managers, the
    /// investigators named) and to the vault's recovery key — not to the archiving registrar;
    /// the confidential registry fields go into the encrypted case record.
    public func archive(
        files: [String], diarienummer: String, unit: String, received: String, title: String?,
        kind: DocumentKind = .report, investigators: [String] = [], allowPersonnummer: Bool = false,
        progress: ((String, Int64, Int64) -> Void)? = nil
    ) throws(VaultError) -> ArchiveResult {
        let caseID = try Diarienummer.validate(diarienummer)
        let receivedDate = try RegistryDate.validate(received)
        try Roster.validateText(unit, what: "the unit")
        if let title { try Roster.validateText(title, what: "the title") }
        if try store.caseRecord(caseID) != nil {
            return try add(
                caseID: caseID, files: files, kind: kind, allowPersonnummer: allowPersonnummer, progress: progress)
        }
        try require(.archive, action: AuditAction.archiveCase, AuditLog.Subject(caseID: caseID))
        let sources = try Self.openSources(files)
        let members = try verifiedMembers()
        for k in investigators where !members.contains(where: { $0.row.keyID == k && $0.member.role == .investigator })
        {
            throw VaultError(
                .invalidInput, "--investigator \(Diarienummer.printable(k)) is not an enrolled investigator's key id",
                hints: ["see key ids with 'sarah-vault member list'"])
        }
        var recipients = members.filter { m in
            Policy.receivesCaseKey(
                role: m.member.role, memberUnit: m.member.unit, caseUnit: unit,
                named: investigators.contains(m.row.keyID))
        }.map { (keyID: $0.row.keyID, boxPublicKey: $0.row.boxPublicKey) }
        if let recovery = try recoveryPublicKey() {
            recipients.append((keyID: CaseKeys.recoveryHolder, boxPublicKey: recovery.boxKey))
        }
        let caseKey = try BoxKeyPair()
        guard let record = try? JSONEncoder().encode(CaseRecord(title: title, unit: unit)) else {
            throw VaultError(.internalError, "could not encode the case record")
        }
        let writer = DocumentWriter(store: store, vaultID: vaultID, log: log, digest: format.chunkDigest)
        let keys = CaseKeys(store: store, log: log)

        let documents = try store.writeTransaction { () throws(VaultError) -> [ArchivedDocument]? in
            // Someone else may have created the case since we looked: then this is an add.
            guard try store.caseRecord(caseID) == nil else { return nil }
            let created = try log.append(
                by: identity, role: myRole, action: AuditAction.archiveCase, result: .granted,
                AuditLog.Subject(
                    caseID: caseID, dataHash: CaseCrypto.registryHash(caseID: caseID, received: receivedDate),
                    keyHash: CaseCrypto.publicKeyHash(caseKey.publicKey),
                    detail: "epoch=0 holders=" + recipients.map(\.keyID).joined(separator: ",")))
            try store.insertCase(
                StoredCase(
                    id: caseID, received: receivedDate, status: "received", epoch: 0, publicKey: caseKey.publicKey,
                    keySeq: created.seq, createdSeq: created.seq))
            for r in recipients {
                try keys.seal(caseKey, caseID: caseID, epoch: 0, to: r.keyID, boxPublicKey: r.boxPublicKey)
            }
            try store.insertDocument(StoredDocument(caseID: caseID, number: Self.recordDocument, kind: Self.recordKind))
            _ = try writer.write(
                caseID: caseID, casePublicKey: caseKey.publicKey, document: Self.recordDocument, version: 1,
                kind: Self.recordKind, name: "", source: BytesSource(Array(record)), by: identity, role: myRole)
            return try writeDocuments(
                sources, caseID: caseID, casePublicKey: caseKey.publicKey, known: [:], kind: kind,
                allowPersonnummer: allowPersonnummer, writer: writer, progress: progress)
        }
        guard let documents else {
            return try add(
                caseID: caseID, files: files, kind: kind, allowPersonnummer: allowPersonnummer, progress: progress)
        }
        return ArchiveResult(case: caseID, created: true, documents: documents)
    }

    /// Adds documents to an existing case. A file whose name matches a document the acting
    /// person can see becomes that document's next version; otherwise a new document. When two
    /// documents share a name, the name means the first and `NAME (2).EXT` the second, as in a
    /// checkout (`DocumentName`).
    public func add(
        caseID rawCase: String, files: [String], kind: DocumentKind = .other, allowPersonnummer: Bool = false,
        progress: ((String, Int64, Int64) -> Void)? = nil
    ) throws(VaultError) -> ArchiveResult {
        try add(
            caseID: rawCase, files: files, kind: kind, allowPersonnummer: allowPersonnummer, progress: progress,
            then: nil)
    }

    /// `add`, with `then` run in the same transaction after the documents are written (a
    /// check-in closes its checkout atomically with the versions it brings back). `aliases`
    /// names documents by the file names a checkout wrote them under; they win over the names
    /// in the case.
    func add(
        caseID rawCase: String, files: [String], kind: DocumentKind, allowPersonnummer: Bool,
        progress: ((String, Int64, Int64) -> Void)?, aliases: [String: Int64] = [:],
        then: (([ArchivedDocument]) throws(VaultError) -> Void)?
    ) throws(VaultError) -> ArchiveResult {
        let caseID = try Diarienummer.validate(rawCase)
        try require(.addDocuments, action: AuditAction.addDocument, AuditLog.Subject(caseID: caseID))
        guard try store.caseRecord(caseID) != nil else { throw unknownCase(caseID, action: AuditAction.addDocument) }
        let sources = try Self.openSources(files)
        let writer = DocumentWriter(store: store, vaultID: vaultID, log: log, digest: format.chunkDigest)
        let mayAddUnread = myRole == .registrar || myRole == .officer
        // Everything the write depends on — the case key, the names it matches — is read inside
        // the write transaction, so a revoke (key rotation) or another add cannot slip between
        // reading and writing.
        let outcome = try store.writeTransaction { () throws(VaultError) -> [ArchivedDocument]? in
            guard let c = try store.caseRecord(caseID) else {
                throw VaultError(.notFound, "no case \(caseID) in this vault")
            }
            try verifyCaseKeyEntry(c)
            let caseKey = try openCaseKey(c)
            // The registrar files into any case without reading it (and an officer may);
            // everyone else adds only to the cases they hold.
            if caseKey == nil && !mayAddUnread { return nil }
            // Names are sealed to the case: only someone holding its key can match them.
            var known: [String: (doc: Int64, latest: Int64)] = [:]
            if let caseKey {
                // Each document by the name of its latest version; a name two documents share
                // means the first, and `NAME (2).EXT` … the later ones.
                var latest: [Int64: (name: String, version: Int64)] = [:]
                for v in try store.versions(caseID: caseID)
                where v.document != Self.recordDocument && v.version > latest[v.document]?.version ?? 0 {
                    let (_, name) = try CaseCrypto.openVersionKey(v.sealedKey, with: caseKey)
                    latest[v.document] = (name, v.version)
                }
                let docs = latest.keys.sorted()
                let names = DocumentName.unique(docs.map { latest[$0]?.name ?? "" }, ignoringCase: false)
                for (doc, name) in zip(docs, names) { known[name] = (doc, latest[doc]?.version ?? 0) }
                for (alias, doc) in aliases {
                    if let v = latest[doc] { known[alias] = (doc, v.version) }
                }
            }
            let written = try writeDocuments(
                sources, caseID: caseID, casePublicKey: c.publicKey, known: known, kind: kind,
                allowPersonnummer: allowPersonnummer, writer: writer, progress: progress)
            try then?(written)
            return written
        }
        guard let documents = outcome else {
            throw refusal(
                action: AuditAction.addDocument, AuditLog.Subject(caseID: caseID),
                message: "refused: you hold no key to case \(caseID), so you cannot add to it")
        }
        return ArchiveResult(case: caseID, created: false, documents: documents)
    }

    /// Writes each source as a new document, or as the next version of a document of the same
    /// name in `known`, inside the caller's transaction. Text is scanned for personnummer as it
    /// streams; one found stops the write (and rolls everything back) unless allowed.
    private func writeDocuments(
        _ sources: [(String, ChunkReader)], caseID: String, casePublicKey: [UInt8],
        known: [String: (doc: Int64, latest: Int64)], kind: DocumentKind, allowPersonnummer: Bool,
        writer: DocumentWriter, progress: ((String, Int64, Int64) -> Void)?
    ) throws(VaultError) -> [ArchivedDocument] {
        var known = known
        var next = (try store.documents(caseID: caseID).map(\.number).max() ?? 0) + 1
        var out: [ArchivedDocument] = []
        for (path, reader) in sources {
            let name = Self.documentName(path)  // checked by openSources (DocumentName.validate)
            let doc: Int64
            let version: Int64
            let docKind: String
            if let existing = known[name] {
                (doc, version) = (existing.doc, existing.latest + 1)
                docKind = try store.documents(caseID: caseID).first { $0.number == doc }?.kind ?? kind.rawValue
            } else {
                (doc, version) = (next, 1)
                next += 1
                docKind = kind.rawValue
                try store.insertDocument(StoredDocument(caseID: caseID, number: doc, kind: docKind))
            }
            known[name] = (doc, version)
            let guarded = PersonnummerGuardedSource(reader, allow: allowPersonnummer)
            let w = try writer.write(
                caseID: caseID, casePublicKey: casePublicKey, document: doc, version: version, kind: docKind,
                name: name, source: guarded, by: identity, role: myRole,
                note: guarded.found ? "personnummer-allowed" : nil,
                progress: progress.map { p in { p(name, $0, reader.size) } })
            out.append(ArchivedDocument(id: doc, name: name, version: version, size: w.version.size))
        }
        return out
    }

    /// Opens every input before anything is written, so a missing file changes nothing.
    static func openSources(_ files: [String]) throws(VaultError) -> [(String, ChunkReader)] {
        guard !files.isEmpty else { throw VaultError(.invalidInput, "no files to archive") }
        guard files.count <= 10_000 else { throw VaultError(.invalidInput, "too many files at once (at most 10000)") }
        var out: [(String, ChunkReader)] = []
        for f in files {
            try DocumentName.validate(documentName(f))
            out.append((f, try ChunkReader(path: f)))
        }
        return out
    }

    static func documentName(_ path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }

    func unknownCase(_ caseID: String, action: String) -> VaultError {
        _ = try? store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: action, result: .refused,
                AuditLog.Subject(caseID: caseID, detail: "no such case"))
        }
        return VaultError(.notFound, "no case \(caseID) in this vault", hints: ["list cases with 'sarah-vault cases'"])
    }

    /// Checks that the case's public key is the one a signed entry set.
    func verifyCaseKeyEntry(_ c: StoredCase) throws(VaultError) {
        guard let bytes = try store.auditEntry(seq: c.keySeq) else {
            throw VaultError(.corrupt, "case \(c.id): its key names audit entry \(c.keySeq), which is missing")
        }
        let e = try AuditEntry(bytes: bytes)
        guard e.seq == c.keySeq, e.caseID == c.id, e.result == .granted,
            e.keyHash == CaseCrypto.publicKeyHash(c.publicKey), e.verifySignature()
        else {
            throw VaultError(.corrupt, "case \(c.id): its public key does not match signed audit entry \(c.keySeq)")
        }
    }

    /// The acting person's case key, or nil when they hold none.
    func openCaseKey(_ c: StoredCase) throws(VaultError) -> BoxKeyPair? {
        guard let (_, sealed) = try store.caseKey(caseID: c.id, keyID: identity.keyID) else { return nil }
        guard let secret = try identity.box.open(sealed) else {
            throw VaultError(
                .authenticationFailed, "your key to case \(c.id) does not open: it was altered or moved")
        }
        let pair = try BoxKeyPair(secretKey: secret)
        guard pair.publicKey == c.publicKey else {
            throw VaultError(.authenticationFailed, "your key to case \(c.id) belongs to another case or an old epoch")
        }
        return pair
    }

    /// The decrypted case record, when the acting person holds the case key.
    func caseRecord(_ c: StoredCase, key: BoxKeyPair) throws(VaultError) -> CaseRecord? {
        guard let v = try store.versions(caseID: c.id).last(where: { $0.document == Self.recordDocument }) else {
            return nil
        }
        var bytes: [UInt8] = []
        try DocumentReader(store: store, vaultID: vaultID).read(v, caseKey: key) { (p) throws(VaultError) in
            bytes.append(contentsOf: p)
            guard bytes.count <= 1 << 20 else { throw VaultError(.corrupt, "case \(c.id): its record is too large") }
        }
        defer { Sodium.wipe(&bytes) }
        guard let record = try? JSONDecoder().decode(CaseRecord.self, from: Data(bytes)) else {
            throw VaultError(.corrupt, "case \(c.id): its record is not valid")
        }
        return record
    }

    /// The registry as the acting role may see it.
    public func cases() throws(VaultError) -> [CaseSummary] {
        try require(.readRegistry, action: AuditAction.listCases)
        let out = try store.readTransaction { () throws(VaultError) -> [CaseSummary] in
            try store.cases().map { (c) throws(VaultError) -> CaseSummary in
                let key = try openCaseKey(c)
                let record = try key.flatMap { (k) throws(VaultError) in try caseRecord(c, key: k) }
                let docs = try store.documents(caseID: c.id).filter { $0.number != Self.recordDocument }.count
                return CaseSummary(
                    case: c.id, received: c.received, status: c.status, documents: docs, title: record?.title,
                    unit: record?.unit, access: key != nil)
            }
        }
        try store.writeTransaction { () throws(VaultError) in
            try log.append(by: identity, role: myRole, action: AuditAction.listCases, result: .granted)
        }
        return out
    }

    /// One case as the acting role may see it.
    public func show(caseID rawCase: String) throws(VaultError) -> CaseDetail {
        let caseID = try Diarienummer.validate(rawCase)
        try require(.readRegistry, action: AuditAction.showCase, AuditLog.Subject(caseID: caseID))
        guard let c = try store.caseRecord(caseID) else { throw unknownCase(caseID, action: AuditAction.showCase) }
        let key = try openCaseKey(c)
        let record = try key.flatMap { (k) throws(VaultError) in try caseRecord(c, key: k) }
        let kinds = Dictionary(
            try store.documents(caseID: caseID).map { ($0.number, $0.kind) }, uniquingKeysWith: { a, _ in a })
        var docs: [Int64: DocumentInfo] = [:]
        for v in try store.versions(caseID: caseID) where v.document != Self.recordDocument {
            let name = try key.map { (k) throws(VaultError) in try CaseCrypto.openVersionKey(v.sealedKey, with: k).1 }
            let entry = try store.auditEntry(seq: v.entrySeq).map { (b) throws(VaultError) in try AuditEntry(bytes: b) }
            let info = VersionInfo(
                version: v.version, size: v.size, archived: entry.map { Self.isoTime($0.timeMillis) } ?? "?",
                by: entry?.actorKeyID ?? "?")
            var d =
                docs[v.document]
                ?? DocumentInfo(id: v.document, name: nil, kind: kinds[v.document] ?? "?", versions: [])
            d.name = name ?? d.name
            d.versions.append(info)
            docs[v.document] = d
        }
        try store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.showCase, result: .granted,
                AuditLog.Subject(caseID: caseID))
        }
        return CaseDetail(
            case: c.id, received: c.received, status: c.status, title: record?.title, unit: record?.unit,
            access: key != nil, keyHolders: try store.caseKeyHolders(caseID: caseID),
            documents: docs.values.sorted { $0.id < $1.id })
    }

    /// A time of the vault (milliseconds since 1970) as ISO 8601 in UTC, to the second.
    public static func isoTime(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
