import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 5 through the built binary: checkout, open at home with no vault, checkin, checkouts,
/// lost — exit codes, one error line, and no plaintext on any stream for a refusal.
@Suite struct CheckoutCLITests {
    static let caseID = "ASN 2021/0026"
    static let otherCaseID = "ASN 2021/0031"

    struct Office {
        var cli: CLITests.CLI
        var keys: [String: CLITests.Key]
        var report: [UInt8]
        var appendix: [UInt8]
        var other: [UInt8]
        func `as`(_ who: String) -> CLITests.CLI { cli.as(keys[who]!.path) }
    }

    /// An officer, a registrar, an investigator and a unit manager; two cases of unit A, both
    /// assigned to the investigator, archived by the registrar.
    func office(_ dir: TemporaryDirectory) throws -> Office {
        let cli = try CheckoutCLI.cli(dir, identity: dir.path("officer.id"), vault: dir.path("vault.sarah"))
        let t = CLITests()
        var keys: [String: CLITests.Key] = [:]
        let people: [(String, String, String, String?)] = [
            ("officer", "Olivia Ombudsdotter", "officer", nil),
            ("registrar", "Rasmus Registersson", "registrar", nil),
            ("investigator", "Ingrid Utredarsson", "investigator", nil),
            ("managerA", "Maja Enhetschefsdotter", "unit-manager", Story.unitA),
        ]
        for (who, name, _, _) in people { keys[who] = try t.keygen(cli, name, file: "\(who).id") }
        let initResult = try cli.run(["init"])
        try #require(initResult.status == 0, "init failed: \(initResult.err)")
        for (who, name, role, unit) in people where who != "officer" {
            let r = try cli.run(
                ["member", "add", "--name", name, "--role", role, "--key", keys[who]!.publicKey]
                    + (unit.map { ["--unit", $0] } ?? []))
            try #require(r.status == 0, "member add \(who) failed: \(r.err)")
        }
        let report = Story.document(size: 150 * 1024, seed: "hemma")
        let appendix = Array("Bilaga: \(Story.phrase). Berörd: \(Story.concernedName).\n".utf8)
        let other = Array("Utredning: \(Story.otherPhrase).\n".utf8)
        let reportPath = try dir.write("in/rapport.txt", report)
        let appendixPath = try dir.write("in/bilaga.txt", appendix)
        let otherPath = try dir.write("in/utredning.txt", other)
        let registrar = cli.as(keys["registrar"]!.path)
        for (c, files, title) in [
            (Self.caseID, [reportPath, appendixPath], Story.title), (Self.otherCaseID, [otherPath], Story.otherTitle),
        ] {
            let r = try registrar.run(
                ["archive"] + files + [
                    "--diarienummer", c, "--unit", Story.unitA, "--received", Story.received, "--title", title,
                    "--investigator", keys["investigator"]!.keyId, "--allow-personnummer",
                ])
            try #require(r.status == 0, "archive failed: \(r.err)")
        }
        return Office(cli: cli, keys: keys, report: report, appendix: appendix, other: other)
    }

    /// No secret of the office on either stream.
    func expectNoPlaintext(_ r: CLITests.Result, _ o: Office, sourceLocation: SourceLocation = #_sourceLocation) {
        for s in [
            Story.phrase, Story.personnummer, Story.concernedName, Story.title, Story.unitA, Story.otherPhrase,
            Story.otherTitle,
        ] {
            #expect(!contains(r.stdout, Array(s.utf8)), "stdout holds \(s)", sourceLocation: sourceLocation)
            #expect(!contains(r.stderr, Array(s.utf8)), "stderr holds \(s)", sourceLocation: sourceLocation)
        }
        #expect(!contains(r.stdout, Array(o.report.prefix(64))), sourceLocation: sourceLocation)
        #expect(!contains(r.stderr, Array(o.report.prefix(64))), sourceLocation: sourceLocation)
    }

    func expectRefusal(
        _ r: CLITests.Result, _ o: Office, status: Int32, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, "\(what): exit \(r.status), stderr: \(r.err)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "\(what): stdout: \(r.out)", sourceLocation: sourceLocation)
        CLITests().expectOneErrorLine(r, sourceLocation: sourceLocation)
        expectNoPlaintext(r, o, sourceLocation: sourceLocation)
    }

    func json(_ r: CLITests.Result) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], "not an object: \(r.out)")
    }

    func jsonArray(_ r: CLITests.Result) throws -> [[String: Any]] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [[String: Any]], "not an array: \(r.out)")
    }

    @Test func journeyThroughTheBinary() throws {
        try withTemporaryDirectory { dir in
            try withTemporaryDirectory { home in
                let o = try office(dir)
                let inv = o.as("investigator")
                let officer = o.as("officer")
                let pkg = dir.path("paket.svco")

                // Checkout.
                let co = try inv.run(["checkout", Self.caseID, "--out", pkg, "--expires", "8h", "--json"])
                #expect(co.status == 0, "\(co.err)")
                let issued = try json(co)
                let id = try #require(issued["id"] as? String)
                #expect(issued["case"] as? String == Self.caseID)
                #expect(issued["holder"] as? String == o.keys["investigator"]!.keyId)
                #expect(issued["package"] as? String == pkg)
                expectNoPlaintext(co, o)
                let raw = try readBytes(pkg)
                for s in [
                    Story.phrase, Story.personnummer, Story.title, Story.unitA, Self.caseID, "2021/0026", "rapport.txt",
                    "bilaga.txt",
                ] {
                    #expect(!contains(raw, Array(s.utf8)), "the package holds \(s) in clear")
                }

                let again = try inv.run(["checkout", Self.caseID, "--out", pkg])
                expectRefusal(again, o, status: 2, "checkout over an existing file")
                #expect(try readBytes(pkg) == raw)
                expectRefusal(
                    try inv.run(["checkout", Self.caseID, "--out", dir.path("x.svco"), "--expires", "8x"]), o,
                    status: 2, "bad duration")
                expectRefusal(
                    try inv.run(["checkout", Self.caseID, "--out", dir.path("x.svco"), "--expires", "91d"]), o,
                    status: 2, "too long")
                expectRefusal(
                    try inv.run(["checkout", Self.caseID, "--out", dir.path("x.svco"), "--doc", "finns-inte.txt"]), o,
                    status: 2, "no such doc")
                expectRefusal(
                    try o.as("registrar").run(["checkout", Self.caseID, "--out", dir.path("x.svco")]), o, status: 1,
                    "registrar")
                #expect(!FileManager.default.fileExists(atPath: dir.path("x.svco")))

                // Home: package and identity file only; --vault points at nothing.
                try FileManager.default.copyItem(atPath: pkg, toPath: home.path("paket.svco"))
                try FileManager.default.copyItem(atPath: o.keys["investigator"]!.path, toPath: home.path("jag.id"))
                try FileManager.default.copyItem(atPath: o.keys["officer"]!.path, toPath: home.path("chef.id"))
                let nowhere = home.path("ingen/vault.sarah")
                let me = try CheckoutCLI.cli(home, identity: home.path("jag.id"), vault: nowhere)
                let opened = try me.run(["open", home.path("paket.svco"), "--out", home.path("docs")])
                #expect(opened.status == 0, "\(opened.err)")
                #expect(opened.out.contains("2 document(s)"))
                #expect(!contains(opened.stdout, Array(o.report.prefix(64))))
                #expect(CheckoutSupport.entries(home.path("docs")) == ["bilaga.txt", "rapport.txt"])
                #expect(try readBytes(home.path("docs/rapport.txt")) == o.report)
                #expect(try readBytes(home.path("docs/bilaga.txt")) == o.appendix)
                #expect(!FileManager.default.fileExists(atPath: home.path("ingen")))

                // Opening into a directory that already holds the files refuses and overwrites nothing.
                try home.write("docs2/bilaga.txt", Array("min egen fil\n".utf8))
                let clash = try me.run(["open", home.path("paket.svco"), "--out", home.path("docs2")])
                expectRefusal(clash, o, status: 2, "open over an existing file")
                #expect(CheckoutSupport.entries(home.path("docs2")) == ["bilaga.txt"])
                #expect(try readBytes(home.path("docs2/bilaga.txt")) == Array("min egen fil\n".utf8))

                // Another identity, a changed package: non-zero, one line, nothing written.
                let chef = me.as(home.path("chef.id"))
                let notMine = try chef.run(["open", home.path("paket.svco"), "--out", home.path("chefs")])
                expectRefusal(notMine, o, status: 2, "another member's identity")
                #expect(CheckoutSupport.entries(home.path("chefs")).isEmpty)
                for (name, mutate) in [
                    ("flipped", { (b: inout [UInt8]) in b[b.count / 2] ^= 0x01 }),
                    ("header", { (b: inout [UInt8]) in b[40] ^= 0x80 }),
                    ("last", { (b: inout [UInt8]) in b[b.count - 1] ^= 0x01 }),
                    ("truncated", { (b: inout [UInt8]) in b.removeLast() }),
                    ("appended", { (b: inout [UInt8]) in b.append(0) }),
                ] as [(String, (inout [UInt8]) -> Void)] {
                    var b = raw
                    mutate(&b)
                    let path = try home.write("\(name).svco", b)
                    let r = try me.run(["open", path, "--out", home.path("ut-\(name)")])
                    expectRefusal(r, o, status: 2, "\(name) package")
                    #expect(CheckoutSupport.entries(home.path("ut-\(name)")).isEmpty, "\(name)")
                }

                // Edit at home, check in at the office.
                let edited = o.appendix + Array("Hemma: kompletterat.\n".utf8)
                let editedPath = try home.write("redigerat/bilaga.txt", edited)
                let ci = try inv.run(["checkin", home.path("paket.svco"), editedPath, "--json"])
                #expect(ci.status == 0, "\(ci.err)")
                let back = try json(ci)
                let docs = try #require(back["documents"] as? [[String: Any]])
                #expect(docs.count == 1)
                #expect(docs.first?["name"] as? String == "bilaga.txt")
                #expect(docs.first?["version"] as? Int == 2)

                for who in ["investigator", "officer"] {
                    let out = dir.path("läst-\(who).txt")
                    let r = try o.as(who).run(["read", Self.caseID, "--doc", "bilaga.txt", "--out", out])
                    #expect(r.status == 0, "\(who): \(r.err)")
                    #expect(try readBytes(out) == edited, "\(who)")
                }

                let twice = try inv.run(["checkin", home.path("paket.svco"), editedPath])
                expectRefusal(twice, o, status: 1, "second checkin")
                let list = try jsonArray(try officer.run(["checkouts", "--json"]))
                #expect(list.first { $0["id"] as? String == id }?["status"] as? String == "returned")

                let log = try officer.run(["audit", "log", "--json"])
                #expect(log.status == 0, "\(log.err)")
                let lines = log.out.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                let invKey = o.keys["investigator"]!.keyId
                let byInv = lines.filter { $0["actor"] as? String == invKey && $0["result"] as? String == "granted" }
                #expect(
                    byInv.contains {
                        $0["action"] as? String == "checkout.issue" && ($0["detail"] as? String)?.contains(id) == true
                    })
                #expect(
                    byInv.contains {
                        $0["action"] as? String == "checkout.return" && ($0["detail"] as? String)?.contains(id) == true
                    })
                #expect(byInv.contains { $0["action"] as? String == "document.add" && $0["version"] as? Int == 2 })
                let verify = try officer.run(["audit", "verify"])
                #expect(verify.status == 0, "\(verify.err)")
            }
        }
    }

    @Test func expiredOverdueAndLostThroughTheBinary() throws {
        try withTemporaryDirectory { dir in
            let o = try office(dir)
            let inv = o.as("investigator")
            let officer = o.as("officer")
            let invKey = o.keys["investigator"]!.keyId

            // An expired package, made through the library with a 1 ms expiry (no sleeping).
            let me = try Identity.load(from: o.keys["investigator"]!.path, passphrase: try passphrase(CLITests.pass))
            let expired = try Vault.open(at: o.cli.vault, identity: me).checkout(
                caseID: Self.caseID, expiresIn: 1, to: dir.path("gammal.svco"))
            CheckoutSupport.waitUntilClockReaches(expired.expires)
            let refused = try inv.run(["open", dir.path("gammal.svco"), "--out", dir.path("gammal")])
            expectRefusal(refused, o, status: 1, "expired package")
            #expect(refused.err.contains("expired"))
            #expect(CheckoutSupport.entries(dir.path("gammal")).isEmpty)

            let current = try inv.run(["checkout", Self.otherCaseID, "--out", dir.path("ny.svco"), "--json"])
            #expect(current.status == 0, "\(current.err)")
            let currentID = try #require(try json(current)["id"] as? String)

            let overdue = try officer.run(["checkouts", "--overdue", "--json"])
            #expect(overdue.status == 0, "\(overdue.err)")
            let od = try jsonArray(overdue)
            #expect(od.map { $0["id"] as? String } == [expired.id])
            #expect(od.first?["overdue"] as? Bool == true)
            #expect(od.first?["holder"] as? String == invKey)
            let table = try officer.run(["checkouts", "--overdue"])
            #expect(table.status == 0)
            #expect(table.out.contains("OVERDUE") && table.out.contains(expired.id) && !table.out.contains(currentID))
            let all = try jsonArray(try officer.run(["checkouts", "--json"]))
            #expect(Set(all.compactMap { $0["id"] as? String }) == [expired.id, currentID])

            // Lost by checkout id, with the incident record written to a file.
            let raw = try RawVault(path: o.cli.vault)
            let epochBefore = try CheckoutSupport.caseRow(raw, Self.caseID).epoch
            let incidentPath = dir.path("incident.json")
            expectRefusal(try inv.run(["lost", expired.id]), o, status: 1, "an investigator reports a loss")
            let lost = try officer.run(["lost", expired.id, "--out", incidentPath])
            #expect(lost.status == 0, "\(lost.err)")
            #expect(lost.out.contains("INCIDENT RECORD"))
            #expect(lost.out.contains("IMY"))
            #expect(lost.out.contains(Self.caseID))
            #expect(fileMode(incidentPath) == 0o600)
            let incident = try #require(
                try JSONSerialization.jsonObject(with: Data(try readBytes(incidentPath))) as? [String: Any])
            #expect(incident["casesRotated"] as? [String] == [Self.caseID])
            #expect(incident["imyDeadline"] is String)
            let items = try #require(incident["items"] as? [[String: Any]])
            #expect(items.map { $0["checkout"] as? String } == [expired.id])
            #expect(try CheckoutSupport.caseRow(raw, Self.caseID).epoch == epochBefore + 1)

            expectRefusal(try officer.run(["lost", expired.id]), o, status: 2, "lost twice")
            expectRefusal(try officer.run(["lost", expired.id, "--out", incidentPath]), o, status: 2, "--out exists")
            expectRefusal(try officer.run(["lost"]), o, status: 2, "neither id nor member")
            expectRefusal(
                try officer.run(["lost", expired.id, "--member", invKey]), o, status: 2, "both id and member")
            expectRefusal(try inv.run(["checkin", dir.path("gammal.svco")]), o, status: 1, "checkin of a lost package")
            #expect(try jsonArray(try officer.run(["checkouts", "--overdue", "--json"])).isEmpty)

            // A lost laptop: every package the member holds.
            let otherEpoch = try CheckoutSupport.caseRow(raw, Self.otherCaseID).epoch
            let laptop = try officer.run(["lost", "--member", invKey, "--json"])
            #expect(laptop.status == 0, "\(laptop.err)")
            let rec = try json(laptop)
            #expect(rec["casesRotated"] as? [String] == [Self.otherCaseID])
            #expect((rec["items"] as? [[String: Any]])?.map { $0["checkout"] as? String } == [currentID])
            #expect(try CheckoutSupport.caseRow(raw, Self.otherCaseID).epoch == otherEpoch + 1)
            #expect(!(try raw.caseKeyHolders(caseID: Self.otherCaseID)).contains(invKey))
            let readAfter = try inv.run(["read", Self.otherCaseID])
            expectRefusal(readAfter, o, status: 1, "read after the laptop was lost")

            let log = try officer.run(["audit", "log", "--json"])
            let lostLines = log.out.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["action"] as? String == "checkout.lost" && $0["result"] as? String == "granted" }
            #expect(lostLines.contains { ($0["detail"] as? String)?.contains(expired.id) == true })
            #expect(lostLines.contains { ($0["detail"] as? String)?.contains(currentID) == true })
            let verify = try officer.run(["audit", "verify"])
            #expect(verify.status == 0, "\(verify.err)")
        }
    }
}
