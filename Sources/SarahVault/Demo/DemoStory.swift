import Foundation

/// `sarah-vault demo`: the lesson of the lost bag, told with fictional people on sample data.
/// Every step is an ordinary library call, as the CLI would make it; only the tampering step
/// goes around the library, the way an attacker with `sqlite3` would.
public struct DemoStory {
    let directory: String
    let command: String
    let say: (String) -> Void

    /// `command` is how the reader runs the tool (the path of the binary that runs the demo).
    public init(directory: String, command: String = "sarah-vault", say: @escaping (String) -> Void) {
        self.directory = directory
        self.command = command
        self.say = say
    }

    struct Person {
        var name: String
        var role: Role
        var unit: String?
        var file: String
    }

    static let people: [Person] = [
        Person(name: "Olga Ek", role: .officer, unit: nil, file: "olga-officer.id"),
        Person(name: "Rami Berg", role: .registrar, unit: nil, file: "rami-registrar.id"),
        Person(name: "Ines Holm", role: .investigator, unit: nil, file: "ines-investigator.id"),
        Person(name: "Ulla Sten", role: .unitManager, unit: "Socialpsykiatri Norr", file: "ulla-unit-manager.id"),
        Person(name: "Kim Dahl", role: .unitManager, unit: "Hemtjänst Syd", file: "kim-unit-manager.id"),
        Person(name: "Alva Lund", role: .auditor, unit: nil, file: "alva-auditor.id"),
        Person(name: "Bo Nord", role: .board, unit: nil, file: "bo-board.id"),
    ]

    static let report = """
        Rapport enligt lex Sarah (fiktivt exempel)
        Händelse: En medarbetare skulle arbeta hemifrån dagen efter och bar en väska med bärbar dator
        och sekretessbelagda handlingar på bussen. Väskan glömdes. Bussbolaget hittade den, läste
        handlingarna för att ta reda på vem de gällde och lämnade dem till den personen.
        Konsekvens: den enskildes rätt till sekretess enligt OSL 26 kap. 1 § gick förlorad.
        Den enskilde: Greta Exempelsson, boende i stödboende Lärkan.
        """

    public func run() throws(VaultError) {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: directory) else {
            throw VaultError(.alreadyExists, "\(directory) already exists: the demo wants a new directory")
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw VaultError(.io, "cannot create \(directory)")
        }
        let vaultPath = directory + "/vault.sarah"
        func step(_ n: Int, _ title: String) { say("\n\(n). \(title)") }
        func line(_ text: String) { say("   " + text) }

        say("SarahVault demo — the lost bag, and an archive where it would not have mattered")
        say("(fictional people and data; everything is written under \(directory))")

        step(1, "Each person gets their own keys")
        var identities: [String: Identity] = [:]
        var passphrase = Array("demo passphrase".utf8)
        let pass = try Passphrase(bytes: &passphrase)
        for p in Self.people {
            let id = try Identity.generate(name: p.name)
            try id.write(to: directory + "/" + p.file, passphrase: pass, kdf: .interactive)
            identities[p.file] = id
            line(
                "\(p.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(p.role.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) key \(id.keyID)  (\(p.file), sealed under a passphrase)"
            )
        }
        func who(_ role: Role, unit: String? = nil) throws(VaultError) -> Identity {
            guard let p = Self.people.first(where: { $0.role == role && (unit == nil || $0.unit == unit) }),
                let id = identities[p.file]
            else { throw VaultError(.internalError, "demo cast is incomplete") }
            return id
        }

        step(2, "The lex Sarah officer creates the vault and enrols everyone")
        let officerVault = try Vault.create(at: vaultPath, identity: try who(.officer))
        for p in Self.people where p.role != .officer || p.file != "olga-officer.id" {
            guard let id = identities[p.file] else { continue }
            try officerVault.addMember(name: p.name, role: p.role, unit: p.unit, publicKey: id.publicKey)
        }
        line("\(Self.people.count) members; names and units are stored encrypted, roles and public keys in clear")

        step(3, "The registrar diarises the report and archives the scan")
        let reportPath = directory + "/rapport-lex-sarah.txt"
        guard fm.createFile(atPath: reportPath, contents: Data(Self.report.utf8)) else {
            throw VaultError(.io, "cannot write the sample report")
        }
        let caseID = "ASN 2021/0026"
        let registrar = try Vault.open(at: vaultPath, identity: try who(.registrar))
        let archived = try registrar.archive(
            files: [reportPath], diarienummer: caseID, unit: "Socialpsykiatri Norr", received: "2021-03-02",
            title: "Förlorade handlingar på buss", kind: .report, investigators: [try who(.investigator).keyID])
        line(
            "case \(archived.case): \(archived.documents.count) document, \(archived.documents[0].size) bytes, encrypted under its own case key"
        )
        let shown = try registrar.show(caseID: caseID)
        line("the case key went to: \(shown.keyHolders.joined(separator: ", "))")
        line("  (the officer, the investigator named for it, the unit's manager, and the vault's recovery key)")
        line("the registrar archived it but holds no key: the title reads '\(shown.title ?? "(sealed)")'")
        try fm.removeItem(atPath: reportPath, orThrow: "the plaintext scan")
        line("the paper scan is deleted; from now on the case exists only encrypted")

        step(4, "Who can read it")
        for (role, unit) in [
            (Role.officer, nil), (.investigator, nil), (.unitManager, "Socialpsykiatri Norr"),
            (.unitManager, "Hemtjänst Syd"), (.registrar, nil), (.auditor, nil), (.board, nil),
        ] as [(Role, String?)] {
            let vault = try Vault.open(at: vaultPath, identity: try who(role, unit: unit))
            let out =
                directory
                + "/read-by-\(role.rawValue)\(unit.map { "-" + $0.split(separator: " ").joined(separator: "-") } ?? "").txt"
            let label = "\(role.rawValue)\(unit.map { " (\($0))" } ?? "")".padding(
                toLength: 36, withPad: " ", startingAt: 0)
            do throws(VaultError) {
                try vault.read(caseID: caseID, to: try PlaintextSink.file(out))
                let first = (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n").first ?? ""
                line("\(label) reads it: \"\(first)\"")
            } catch {
                line("\(label) REFUSED — \(error.message)")
            }
        }

        step(5, "The officer decides; the board is informed without learning whom it concerns")
        let officer = try Vault.open(at: vaultPath, identity: try who(.officer))
        try officer.decide(caseID: caseID, outcome: .serious)
        try officer.writeSummary(
            caseID: caseID,
            text:
                "Allvarligt missförhållande: sekretessbelagda handlingar förlorades vid hemarbete. Rutin för arbete utanför kontoret saknades; riskanalys och ny rutin beslutade. Anmält till IVO."
        )
        line("decision recorded: serious (status is a registry field; the signed log holds who decided)")
        for s in try Vault.open(at: vaultPath, identity: try who(.board)).summaries() {
            line("the board reads: \(s.case) \(s.status): \"\(s.summary.prefix(60))…\"")
        }

        step(6, "Working from home — and the bag left on the bus")
        let investigator = try Vault.open(at: vaultPath, identity: try who(.investigator))
        let packagePath = directory + "/ASN-2021-0026.svco"
        let manifest = try investigator.checkout(caseID: caseID, expiresIn: CheckoutDuration.default, to: packagePath)
        line("the investigator checks the case out: \(packagePath)")
        line("  an encrypted package only her identity opens, due back \(Vault.isoTime(manifest.expires))")
        let homeDir = directory + "/home-office"
        let opened = try Vault.openPackage(at: packagePath, identity: try who(.investigator), into: homeDir)
        line("at home, with no vault: \(opened.documents.count) document(s) opened into \(homeDir)")
        let package = (try? Data(contentsOf: URL(fileURLWithPath: packagePath))) ?? Data()
        let finderSees = ["ASN 2021/0026", "Greta", "Socialpsykiatri", "rapport"].filter {
            package.range(of: Data($0.utf8)) != nil
        }
        line("the bag is lost on the bus. The finder has the package: \(package.count) bytes starting 'SVCO',")
        line(
            "  and in it \(finderSees.isEmpty ? "no diarienummer, no name, no unit, not even how many documents" : "FOUND \(finderSees) (a bug)")"
        )
        for c in try officer.checkouts() where c.status == "out" {
            line(
                "the vault knows what is out: checkout \(c.id.prefix(8))… of \(c.case), held by \(c.holderName ?? c.holder), due \(c.expires)"
            )
        }
        let incident = try officer.reportLost(checkout: manifest.id)
        line("the officer reports it lost — one command:")
        line(
            "  case keys rotated: \(incident.casesRotated.joined(separator: ", ")); notify IMY by \(incident.imyDeadline)"
        )
        line("  and a reminder that losing confidential papers is itself a lex Sarah matter")

        step(7, "What a finder of the vault file sees")
        // Through SQLite's own descriptor: this process has the vault open (OpenVaultFiles).
        let raw = Data(try SQLiteDatabase(path: vaultPath, create: false, readOnly: true).rawFileBytes())
        for secret in ["Greta Exempelsson", "Socialpsykiatri Norr", "Förlorade handlingar", "stödboende"] {
            let found = raw.range(of: Data(secret.utf8)) != nil
            line("\"\(secret)\" in the raw file: \(found ? "FOUND (this would be a bug)" : "no")")
        }
        line("in clear: the diarienummer, dates, status, sizes, key ids and roles — nothing that says whom it concerns")

        step(8, "The auditor checks the log without reading a single case")
        let auditor = try Vault.open(at: vaultPath, identity: try who(.auditor))
        let entries = try auditor.auditLog()
        let refused = entries.filter { $0.result == .refused }
        line("\(entries.count) signed, hash-chained entries; \(refused.count) refusals among them:")
        for e in refused {
            line(
                "  seq \(e.seq): \(e.actorKeyID) (\(e.role?.rawValue ?? "none")) \(e.action) \(e.caseID ?? "") refused")
        }
        let ok = try auditor.verify()
        line(
            "audit verify: \(ok.ok ? "OK" : "FAILED") — \(ok.entries) entries, \(ok.versions) ciphertexts checked by hash, root \(ok.treeRoot.prefix(16))…"
        )

        step(9, "Someone edits the vault file directly")
        try Self.flipOneByte(ofFirstChunkIn: caseID, document: 1, vaultPath: vaultPath)
        line("one byte of the report's ciphertext was changed with SQL, bypassing SarahVault")
        let after = try auditor.verify()
        line(
            "audit verify: \(after.ok ? "OK (this would be a bug)" : "FAILED, as it must") — \(after.problems.first ?? "")"
        )
        do throws(VaultError) {
            try Vault.open(at: vaultPath, identity: try who(.investigator)).read(
                caseID: caseID, to: try PlaintextSink.file(directory + "/after-tamper.txt"))
            line("the investigator's read: succeeded (this would be a bug)")
        } catch {
            line("the investigator's read: refused — \(error.message)")
        }

        say("\nThe lesson of the bag: the laptop had a login, the papers had nothing. Here every case is")
        say("encrypted under its own key, only the people entitled hold it, and every access is in a")
        say("signed log an auditor can check without reading a word. Files: \(directory)")
        say("Try: \(command) --vault \(vaultPath) --identity \(directory)/olga-officer.id audit log")
        say("     (passphrase: \"demo passphrase\", e.g. SARAH_VAULT_PASSPHRASE='demo passphrase')")
    }

    /// What an attacker with sqlite3 could do; used to show that it is caught.
    static func flipOneByte(ofFirstChunkIn caseID: String, document: Int64, vaultPath: String) throws(VaultError) {
        let db = try SQLiteDatabase(path: vaultPath, create: false)
        guard
            let row = try db.firstRow(
                "SELECT c.rowid, c.data FROM chunks c JOIN versions v ON v.vid = c.vid WHERE v.case_id = ? AND v.doc = ? AND c.idx = 0",
                [.text(caseID), .integer(document)]),
            let rowid = row[0].int, var data = row[1].bytes, !data.isEmpty
        else { throw VaultError(.notFound, "no chunk to tamper with") }
        data[data.count / 2] ^= 0x01
        try db.run("UPDATE chunks SET data = ? WHERE rowid = ?", [.blob(data), .integer(rowid)])
    }
}

extension FileManager {
    func removeItem(atPath path: String, orThrow what: String) throws(VaultError) {
        do { try removeItem(atPath: path) } catch { throw VaultError(.io, "cannot remove \(what)") }
    }
}
