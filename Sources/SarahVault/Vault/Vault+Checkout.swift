import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A checkout as the vault records it.
public struct CheckoutInfo: Sendable, Codable, Equatable {
    public var id: String
    public var `case`: String
    public var holder: String
    public var holderName: String?
    public var issued: String
    public var expires: String
    public var documents: Int64
    public var status: String
    public var overdue: Bool
}

/// What `lost` reports: the incident record for the IVO and data-protection reports.
public struct IncidentRecord: Sendable, Codable, Equatable {
    public struct Item: Sendable, Codable, Equatable {
        public var checkout: String
        public var `case`: String
        public var holder: String
        public var documents: Int64
        public var issued: String
        public var expires: String
    }
    public var reported: String
    public var reportedBy: String
    public var items: [Item]
    public var casesRotated: [String]
    public var imyDeadline: String
    public var notes: [String]
}

extension Vault {
    /// Checks a case out as a package only the acting person's identity opens. The checkout is
    /// logged (durably) before the package file is written; if writing fails it is cancelled.
    public func checkout(
        caseID rawCase: String, documents wanted: [String] = [], expiresIn: Int64 = CheckoutDuration.default,
        to path: String
    ) throws(VaultError) -> CheckoutManifest {
        let caseID = try Diarienummer.validate(rawCase)
        let subject = AuditLog.Subject(caseID: caseID)
        try require(.readContent, action: AuditAction.checkoutIssue, subject)
        guard let c = try store.caseRecord(caseID) else { throw unknownCase(caseID, action: AuditAction.checkoutIssue) }
        guard let caseKey = try openCaseKey(c) else {
            throw refusal(
                action: AuditAction.checkoutIssue, subject, message: "refused: you hold no key to case \(caseID)")
        }
        if FileManager.default.fileExists(atPath: path) {
            throw VaultError(.alreadyExists, "\(path) already exists: refusing to overwrite it")
        }
        let reader = DocumentReader(store: store, vaultID: vaultID)
        let all = try store.versions(caseID: caseID).filter { $0.document != Self.recordDocument }
        var latest: [Int64: (StoredVersion, DocumentReader.Opened)] = [:]
        for v in all where v.version > (latest[v.document]?.0.version ?? 0) {
            latest[v.document] = (v, try reader.openKey(v, caseKey: caseKey))
        }
        var chosen = latest.values.sorted { $0.0.document < $1.0.document }
        if !wanted.isEmpty {
            // A name two documents share picks both (the checkout writes them under unique names).
            chosen = chosen.filter { wanted.contains($0.1.name) || wanted.contains(String($0.0.document)) }
            let missing = wanted.filter { w in !chosen.contains { $0.1.name == w || String($0.0.document) == w } }
            guard missing.isEmpty else {
                throw VaultError(
                    .notFound, "case \(caseID) has no document by one of those names or numbers",
                    hints: ["see the documents with 'sarah-vault show \(caseID)'"])
            }
        }
        guard !chosen.isEmpty else { throw VaultError(.invalidInput, "case \(caseID) has no documents to check out") }
        for (v, _) in chosen { try verifyWriteEntry(v) }
        let record = try caseRecord(c, key: caseKey)
        let kinds = Dictionary(
            try store.documents(caseID: caseID).map { ($0.number, $0.kind) }, uniquingKeysWith: { a, _ in a })
        let now = AuditLog.now()
        let manifest = CheckoutManifest(
            format: 1, id: Hex.encode(Sodium.randomBytes(16)), vault: Hex.encode(vaultID), case: caseID,
            title: record?.title, unit: record?.unit, holder: identity.keyID, holderKey: identity.publicKey.token,
            issuer: identity.keyID, issuerKey: identity.publicKey.token, issued: now, expires: now + expiresIn,
            documents: chosen.map {
                CheckoutManifest.Document(
                    doc: $0.0.document, version: $0.0.version, name: $0.1.name, kind: kinds[$0.0.document] ?? "other",
                    size: $0.0.size)
            })
        try store.writeTransaction { () throws(VaultError) in
            let e = try log.append(
                by: identity, role: myRole, action: AuditAction.checkoutIssue, result: .granted,
                AuditLog.Subject(
                    caseID: caseID,
                    detail:
                        "id=\(manifest.id) holder=\(identity.keyID) expires=\(manifest.expires) documents=\(chosen.count)"
                ))
            try store.insertCheckout(
                StoredCheckout(
                    id: manifest.id, caseID: caseID, holder: identity.keyID, issued: now, expires: manifest.expires,
                    documents: Int64(chosen.count), status: "out", issueSeq: e.seq, closeSeq: nil))
        }
        do throws(VaultError) {
            try CheckoutPackage.write(to: path, manifest: manifest, holder: identity.publicKey, issuer: identity) {
                (write) throws(VaultError) in
                for (v, opened) in chosen { try reader.read(v, opened: opened, write) }
            }
        } catch {
            try? closeCheckout(
                manifest.id, caseID: caseID, status: "cancelled", action: AuditAction.checkoutCancel, detail: "")
            throw error
        }
        return manifest
    }

    /// Opens a package with no vault at hand: writes its documents into `directory` (created
    /// if needed, mode 0700), refusing after expiry. Nothing is left behind if any byte fails.
    public static func openPackage(at path: String, identity: Identity, into directory: String) throws(VaultError)
        -> CheckoutManifest
    {
        let fm = FileManager.default
        var created: [String] = []
        var temps: [Int: (fd: Int32, temp: String, final: String)] = [:]
        var finished = false
        // Every temporary and every linked final name stays registered with PartialFiles
        // until the last document is in place: a failure or a signal leaves none of them.
        defer {
            for t in temps.values {
                Glibc.close(t.fd)
                PartialFiles.discard(t.temp)
            }
            for f in created {
                if finished { PartialFiles.release(f) } else { PartialFiles.discard(f) }
            }
        }
        let manifest = try CheckoutPackage.read(
            path: path, identity: identity,
            checkManifest: { (m) throws(VaultError) in
                guard m.holder == identity.keyID else {
                    throw VaultError(.authenticationFailed, "this package was issued to another holder")
                }
                if m.isExpired {
                    throw VaultError(
                        .refused,
                        "this checkout expired at \(Self.isoTime(m.expires)): return it with 'sarah-vault checkin'",
                        hints: ["an officer can check the case out to you again"])
                }
                if !fm.fileExists(atPath: directory) {
                    // mkdir at 0700, not a chmod after: the folder is never open to others.
                    let parent = (directory as NSString).deletingLastPathComponent
                    if !parent.isEmpty { try? fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
                    guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                        throw VaultError(.io, "cannot create \(directory): \(String(cString: strerror(errno)))")
                    }
                }
                // Unique, safe and short enough (DocumentName): two documents of one name, or
                // a name from an older vault too long for `.NAME.partial-XXXXXXXX`, still open.
                for (i, name) in DocumentName.fileNames(m.documents).enumerated() {
                    let final = directory + "/" + name
                    guard !fm.fileExists(atPath: final) else {
                        throw VaultError(.alreadyExists, "\(final) already exists: refusing to overwrite it")
                    }
                    let temp = directory + "/." + name + ".partial-" + Hex.encode(Sodium.randomBytes(4))
                    let fd = PartialFiles.create(temp)
                    guard fd >= 0 else { throw FileIO.openError(temp, what: "output file") }
                    temps[i] = (fd, temp, final)
                }
            },
            document: { (i, bytes) throws(VaultError) in
                guard let t = temps[i], FileIO.writeAll(t.fd, bytes) else {
                    throw VaultError(.io, "cannot write a document into \(directory)")
                }
            })
        for (_, t) in temps.sorted(by: { $0.key < $1.key }) {
            guard PartialFiles.adopt(t.final) else { throw VaultError(.io, "interrupted while creating \(t.final)") }
            guard link(t.temp, t.final) == 0 else {
                PartialFiles.release(t.final)  // not ours: link failed, whatever is there stays
                throw VaultError(.io, "cannot create \(t.final)")
            }
            created.append(t.final)
        }
        finished = true
        return manifest
    }

    /// The manifest of a package, checked but without writing anything (for `checkin`).
    public static func inspectPackage(at path: String, identity: Identity) throws(VaultError) -> CheckoutManifest {
        try CheckoutPackage.read(path: path, identity: identity, manifestOnly: true)
    }

    /// Closes a checkout: the files given come back as new versions (or documents) signed by
    /// the holder, in the same transaction that marks the package returned. Once only.
    public func checkin(package path: String, files: [String], allowPersonnummer: Bool = false) throws(VaultError)
        -> ArchiveResult
    {
        let m = try Self.inspectPackage(at: path, identity: identity)
        guard m.vault == Hex.encode(vaultID) else {
            throw VaultError(.invalidInput, "this package comes from another vault")
        }
        guard let row = try store.checkouts().first(where: { $0.id == m.id }), row.caseID == m.case,
            row.holder == identity.keyID
        else {
            throw VaultError(.notFound, "this vault has no record of checkout \(m.id) for you")
        }
        guard row.status == "out" else {
            throw VaultError(
                .refused, "checkout \(m.id) is already closed (\(row.status)): a package is checked in once")
        }
        let detail = "id=\(m.id) returned=\(files.count)"
        // A file comes back as the document the package wrote under its name (`report (2).txt`
        // is the second document named `report.txt`).
        let aliases = Dictionary(
            zip(DocumentName.fileNames(m.documents), m.documents.map(\.doc)), uniquingKeysWith: { a, _ in a })
        if files.isEmpty {
            try require(.readContent, action: AuditAction.checkoutReturn, AuditLog.Subject(caseID: m.case))
            try closeCheckout(
                m.id, caseID: m.case, status: "returned", action: AuditAction.checkoutReturn, detail: detail)
            return ArchiveResult(case: m.case, created: false, documents: [])
        }
        return try add(
            caseID: m.case, files: files, kind: .other, allowPersonnummer: allowPersonnummer, progress: nil,
            aliases: aliases,
            then: { (_) throws(VaultError) in
                try self.closeInTransaction(
                    m.id, caseID: m.case, status: "returned", action: AuditAction.checkoutReturn, detail: detail)
            })
    }

    private func closeCheckout(_ id: String, caseID: String, status: String, action: String, detail: String)
        throws(VaultError)
    {
        try store.writeTransaction { () throws(VaultError) in
            try closeInTransaction(id, caseID: caseID, status: status, action: action, detail: detail)
        }
    }

    private func closeInTransaction(_ id: String, caseID: String, status: String, action: String, detail: String)
        throws(VaultError)
    {
        let e = try log.append(
            by: identity, role: myRole, action: action, result: .granted,
            AuditLog.Subject(caseID: caseID, detail: detail.isEmpty ? "id=\(id)" : detail))
        try store.closeCheckout(id: id, status: status, seq: e.seq)
    }

    /// What is out of the archive, with whom, since and until when.
    public func checkouts(overdueOnly: Bool = false) throws(VaultError) -> [CheckoutInfo] {
        try require(.readRegistry, action: AuditAction.listCheckouts)
        let names: [String: String] =
            (try? verifiedMembers()).map {
                Dictionary($0.map { ($0.row.keyID, $0.member.name) }, uniquingKeysWith: { a, _ in a })
            } ?? [:]
        let now = AuditLog.now()
        let out = try store.checkouts().map { c in
            CheckoutInfo(
                id: c.id, case: c.caseID, holder: c.holder, holderName: names[c.holder], issued: Self.isoTime(c.issued),
                expires: Self.isoTime(c.expires), documents: c.documents, status: c.status,
                overdue: c.status == "out" && c.expires <= now)
        }.filter { !overdueOnly || $0.overdue }
        try store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.listCheckouts, result: .granted,
                AuditLog.Subject(detail: "count=\(out.count)"))
        }
        return out
    }

    /// A lost package (or a lost laptop: every package a member holds) handled in one step:
    /// the checkouts are marked lost and every affected case's key is rotated, all audited; the
    /// returned record lists what was out and the data-protection deadline. With `member`, that
    /// member's key is presumed lost with the laptop and is left out of the new case keys.
    public func reportLost(checkout id: String? = nil, member: String? = nil) throws(VaultError) -> IncidentRecord {
        let subject = AuditLog.Subject(
            detail: id.map { "id=\(Diarienummer.printable($0))" } ?? "member=\(Diarienummer.printable(member ?? ""))")
        try require(.grantRevoke, action: AuditAction.checkoutLost, subject)
        let rows = try store.checkouts().filter { c in
            c.status == "out" && (id.map { c.id == $0 } ?? false || member.map { c.holder == $0 } ?? false)
        }
        guard !rows.isEmpty else {
            throw VaultError(
                .notFound,
                id != nil ? "no checkout \(Diarienummer.printable(id ?? "")) is out" : "that member has no package out",
                hints: ["see what is out with 'sarah-vault checkouts'"])
        }
        let caseIDs = Array(Set(rows.map(\.caseID))).sorted()
        var rotations: [(StoredCase, BoxKeyPair, [(keyID: String, boxPublicKey: [UInt8])])] = []
        for caseID in caseIDs {
            guard let c = try store.caseRecord(caseID), let key = try openCaseKey(c) else {
                throw VaultError(
                    .refused, "you hold no key to case \(caseID), so you cannot rotate it",
                    hints: ["an officer holding the case key must report this loss"])
            }
            try verifyCaseKeyEntry(c)
            rotations.append((c, key, try keyHolders(of: caseID, except: member.map { [$0] } ?? [])))
        }
        try store.writeTransaction { () throws(VaultError) in
            for r in rows {
                try closeInTransaction(
                    r.id, caseID: r.caseID, status: "lost", action: AuditAction.checkoutLost,
                    detail: "id=\(r.id) holder=\(r.holder) documents=\(r.documents)")
            }
            let keys = CaseKeys(store: store, log: log)
            for (c, key, holders) in rotations {
                try ensureUnchanged(c)
                try keys.rotate(
                    c, oldKey: key, holders: holders, action: AuditAction.checkoutLost,
                    detail: "holders=" + holders.map(\.keyID).joined(separator: ","), by: identity, role: myRole)
            }
        }
        let now = AuditLog.now()
        return IncidentRecord(
            reported: Self.isoTime(now), reportedBy: identity.keyID,
            items: rows.map {
                IncidentRecord.Item(
                    checkout: $0.id, case: $0.caseID, holder: $0.holder, documents: $0.documents,
                    issued: Self.isoTime($0.issued), expires: Self.isoTime($0.expires))
            },
            casesRotated: caseIDs, imyDeadline: Self.isoTime(now + 72 * 3600 * 1000),
            notes: [
                "A personal-data breach must be notified to the data protection authority (IMY) within 72 hours of discovery (GDPR art. 33), unless it is unlikely to result in a risk.",
                "The packages are encrypted to their holder's identity; disclosure requires that identity file and its passphrase. Say in the notification whether the identity file was lost too.",
                "The loss of confidential case papers is itself a lex Sarah matter: report it to the lex Sarah officer.",
                member != nil
                    ? "The holder's key was left out of the rotated case keys: enrol a new identity for them and grant access again."
                    : "The affected case keys were rotated: what is written from now on is under new keys.",
            ])
    }

    /// The file names `openPackage` writes the documents of `manifest` under, in its order:
    /// its names made safe, short enough and unique (see `DocumentName`).
    public static func checkoutFileNames(_ manifest: CheckoutManifest) -> [String] {
        DocumentName.fileNames(manifest.documents)
    }
}
