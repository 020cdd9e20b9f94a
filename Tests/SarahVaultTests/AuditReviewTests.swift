import Foundation
import Testing

@testable import SarahVault

/// `audit review` (issue 4, point 7): reads by people not holding the case, refusals, unusual
/// volume, reads outside office hours, a random sample; the review recorded in the log with its
/// findings' hash. And the Stockholm calendar it rests on.
@Suite struct AuditReviewTests {
    // MARK: Stockholm time

    @Test(arguments: [
        // (UTC ms, expected local text, ISO weekday)
        (Int64(0), "1970-01-01 01:00 CET", 4),
        (Int64(1_711_846_799_000), "2024-03-31 01:59 CET", 7),  // 00:59:59 UTC, before the switch
        (Int64(1_711_846_800_000), "2024-03-31 03:00 CEST", 7),  // 01:00 UTC: clocks go forward
        (Int64(1_729_990_799_000), "2024-10-27 02:59 CEST", 7),  // 00:59:59 UTC
        (Int64(1_729_990_800_000), "2024-10-27 02:00 CET", 7),  // 01:00 UTC: clocks go back
        (Int64(1_717_394_400_000), "2024-06-03 08:00 CEST", 1),  // a Monday morning
        (Int64(951_782_400_000), "2000-02-29 01:00 CET", 2),
    ])
    func stockholmLocalTime(ms: Int64, text: String, weekday: Int) {
        let local = AuditTime.stockholm(ms)
        #expect(local.text == text)
        #expect(local.weekday == weekday)
    }

    @Test func isoTimesAndDates() {
        #expect(AuditTime.iso(0) == "1970-01-01T00:00:00.000Z")
        #expect(AuditTime.iso(1_717_394_400_123) == "2024-06-03T06:00:00.123Z")
        #expect(AuditTime.iso(-1) == "1969-12-31T23:59:59.999Z")
        #expect(AuditTime.stockholmMidnight("2024-06-03") == 1_717_365_600_000)  // 22:00 UTC the day before
        #expect(AuditTime.stockholmMidnight("2024-01-15") == 1_705_273_200_000)  // 23:00 UTC the day before
        for bad in [
            "", "2024-13-01", "2024-02-30", "2023-02-29", "24-01-01", "2024-1-01", "2024-01-01T00", "abcd-ef-gh",
        ] {
            #expect(AuditTime.stockholmMidnight(bad) == nil, "\(bad)")
        }
    }

    // MARK: the analysis, on entries with chosen times

    /// An entry as the review sees it; only what it reads matters.
    func entry(
        _ seq: Int64, at ms: Int64, by actor: String, _ action: String, case c: String? = nil,
        result: AuditEntry.Result = .granted, detail: String = "", keyHash: Bool = false
    ) -> AuditEntry {
        AuditEntry(
            vaultID: [UInt8](repeating: 7, count: 16), seq: seq, timeMillis: ms, actorKeyID: actor,
            actorSigningKey: [UInt8](repeating: 1, count: 32), role: .officer, result: result, action: action,
            caseID: c, document: action == "document.read" ? 1 : nil, version: action == "document.read" ? 1 : nil,
            keyHash: keyHash ? [UInt8](repeating: 2, count: 32) : nil, detail: detail,
            previousHash: [UInt8](repeating: 0, count: 32))
    }

    @Test func theFindings() {
        let monday10 = Int64(1_717_401_600_000)  // 2024-06-03 10:00 CEST
        let monday19 = monday10 + 9 * 3_600_000  // 19:00
        let saturday10 = monday10 + 5 * 86_400_000
        let a = "aaaaaaaaaaaaaaaa", b = "bbbbbbbbbbbbbbbb", c = "cccccccccccccccc", x = "xxxxxxxxxxxxxxxx"
        var entries: [AuditEntry] = [
            entry(0, at: monday10, by: a, "vault.init"),
            entry(
                1, at: monday10, by: a, "case.archive", case: "ASN 2024/0001", detail: "epoch=0 holders=\(a),\(b)",
                keyHash: true),
            entry(2, at: monday10, by: b, "document.read", case: "ASN 2024/0001"),
            entry(3, at: monday10, by: x, "document.read", case: "ASN 2024/0001"),  // not a holder
            entry(4, at: monday10, by: c, "document.read", case: "ASN 2024/0001", result: .refused),
            entry(5, at: monday10, by: a, "case.grant", case: "ASN 2024/0001", detail: "key=\(c)"),
            entry(6, at: monday19, by: c, "document.read", case: "ASN 2024/0001"),  // a holder now, but late
            entry(7, at: saturday10, by: b, "document.read", case: "ASN 2024/0001"),  // a Saturday
            entry(
                8, at: monday10, by: a, "case.revoke", case: "ASN 2024/0001",
                detail: "epoch=1 key=\(c) holders=\(a),\(b)", keyHash: true),
            entry(9, at: monday10, by: c, "document.read", case: "ASN 2024/0001"),  // revoked: not a holder
        ]
        // b reads a great deal.
        for i in 0..<30 {
            entries.append(entry(10 + Int64(i), at: monday10, by: b, "document.read", case: "ASN 2024/0001"))
        }
        entries.append(entry(40, at: monday10, by: a, "document.read", case: "ASN 2024/0001"))

        var rules = ReviewRules(sample: 5)
        rules.volumeMinimum = 10
        var review = AuditReview(
            vaultID: "v", reviewer: a, since: nil, sinceMillis: nil, fromSeq: 0, rules: rules,
            random: Vault.uniformRandom)
        for e in entries { review.add(e) }
        let f = review.finish()
        #expect(f.entries == entries.count)
        #expect(f.readsByNonHolders.map(\.seq) == [3, 9])
        #expect(f.refusals.map(\.seq) == [4])
        #expect(f.readsOutsideOfficeHours.map(\.seq) == [6, 7])
        #expect(f.readsOutsideOfficeHours.first?.local == "2024-06-03 19:00 CEST")
        #expect(f.unusualVolume.map(\.actor) == [b])
        #expect(f.unusualVolume.first?.reads == 32)
        #expect(f.sample.count == 5)
        #expect(Set(f.sample.map(\.seq)).count == 5)
        #expect(f.sample.map(\.seq) == f.sample.map(\.seq).sorted())

        // From a later seq: earlier entries count for who held what, not as findings.
        var later = AuditReview(
            vaultID: "v", reviewer: a, since: nil, sinceMillis: nil, fromSeq: 9, rules: ReviewRules(),
            random: Vault.uniformRandom)
        for e in entries { later.add(e) }
        let g = later.finish()
        #expect(g.readsByNonHolders.map(\.seq) == [9])
        #expect(g.refusals.isEmpty && g.readsOutsideOfficeHours.isEmpty)
        #expect(g.entries == entries.count - 9)

        // Since a date: only entries at or after Stockholm midnight count.
        var since = AuditReview(
            vaultID: "v", reviewer: a, since: "2024-06-08", sinceMillis: AuditTime.stockholmMidnight("2024-06-08"),
            fromSeq: 0, rules: ReviewRules(), random: Vault.uniformRandom)
        for e in entries { since.add(e) }
        #expect(since.finish().readsOutsideOfficeHours.map(\.seq) == [7])
        #expect(since.finish().entries == 1)
    }

    @Test func theSampleIsUniform() {
        // 4000 draws of 1 out of 4: each seq about a quarter of the time.
        var hits = [Int64: Int]()
        for _ in 0..<4000 {
            var r = AuditReview(
                vaultID: "v", reviewer: "r", since: nil, sinceMillis: nil, fromSeq: 0, rules: ReviewRules(sample: 1),
                random: Vault.uniformRandom)
            for s in 0..<4 { r.add(entry(Int64(s), at: 0, by: "a", "member.list")) }
            hits[r.finish().sample[0].seq, default: 0] += 1
        }
        #expect(hits.count == 4)
        #expect(hits.values.allSatisfy { $0 > 800 && $0 < 1200 }, "\(hits)")
        #expect((0..<1000).allSatisfy { _ in Vault.uniformRandom(7) < 7 })
    }

    // MARK: on a vault

    @Test func aReviewIsRecordedWithItsFindingsHash() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            // A refusal and some reads.
            #expect(throws: VaultError.self) {
                try story.vault(.registrar).read(
                    caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("x")))
            }
            try story.vault(.investigator).read(
                caseID: Story.caseID, document: Story.smallName, to: .file(dir.path("r1")))

            let auditor = try story.vault(.auditor)
            let result = try auditor.review(rules: ReviewRules(sample: 4))
            let f = result.findings
            #expect(f.fromSeq == 0)
            #expect(f.refusals.contains { $0.actor == story.registrar.keyID && $0.action == "document.read" })
            #expect(f.readsByNonHolders.isEmpty)
            #expect(f.sample.count == 4)
            #expect(f.reviewer == story.auditor.keyID)
            #expect(f.vault == auditor.id)

            // The entry signs the SHA-256 of exactly the findings JSON returned.
            #expect(Hex.encode(Hash.sha256(Array(result.findingsJSON.utf8))) == result.findingsHash)
            let e = try AuditEntry(bytes: try #require(try auditor.store.auditEntry(seq: result.seq)))
            #expect(e.action == "audit.review" && e.result == .granted && e.actorKeyID == story.auditor.keyID)
            #expect(e.dataHash.map { Hex.encode($0) } == result.findingsHash)
            #expect(e.detailValue("to") == String(f.toSeq))
            // The JSON is canonical: decoding and encoding it again gives the same bytes.
            let decoded = try JSONDecoder().decode(ReviewFindings.self, from: Data(result.findingsJSON.utf8))
            #expect(decoded == f)
            #expect(try Vault.canonicalJSON(decoded) == Array(result.findingsJSON.utf8))
            // And nothing personal: no secret of the story.
            for s in Story.secrets { #expect(!result.findingsJSON.contains(s), "\(s)") }

            // The next review starts after this one.
            let next = try auditor.review()
            #expect(next.findings.fromSeq == result.seq + 1)
            #expect(next.findings.refusals.isEmpty)
            // A date reviews everything from then on.
            #expect(try auditor.review(since: "2000-01-01").findings.fromSeq == 0)
            #expect(throws: VaultError.self) { try auditor.review(since: "yesterday") }
            #expect(try auditor.verify().ok)
        }
    }

    @Test func aReadOfACaseByANonHolderIsFound() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            // Signed and logged as if the board member had read the case: only a stolen key or
            // an edited roster could lead here, which is what a review is for.
            let board = try story.vault(.board)
            _ = try board.store.writeTransaction { () throws(VaultError) in
                try board.log.append(
                    by: story.board, role: .board, action: "document.read", result: .granted,
                    AuditLog.Subject(caseID: Story.caseID, document: story.smallDoc, version: 1))
            }
            let f = try story.vault(.auditor).review().findings
            #expect(f.readsByNonHolders.map(\.actor) == [story.board.keyID])
        }
    }

    @Test(arguments: [StoryPerson.investigator, .registrar, .board, .managerA])
    func onlyAuditorsAndOfficersReview(person: StoryPerson) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let vault = try story.vault(person)
            let e = #expect(throws: VaultError.self) { try vault.review() }
            #expect(e?.code == .refused)
            let last = try AuditEntry(bytes: try #require(try vault.store.lastAuditEntry()).bytes)
            #expect(last.action == "audit.review" && last.result == .refused && last.actorKeyID == story[person].keyID)
            #expect(try story.vault(.officer).review().findings.refusals.contains { $0.seq == last.seq })
        }
    }

    @Test func reviewOnTheCommandLine() throws {
        try withTemporaryDirectory { dir in
            let h = CLITests()
            let w = try h.world(dir)
            let auditor = w.cli.as(w.keys["auditor"]!.path)
            let out = dir.path("review.json")
            let r = try auditor.run(["audit", "review", "--sample", "3", "--out", out])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("refused attempts"))
            #expect(r.out.contains("random sample to check by hand: 3"))
            let hashLine = try #require(r.out.split(separator: "\n").last { $0.hasPrefix("recorded as audit entry") })
            let written = try readBytes(out)
            #expect(hashLine.hasSuffix(Hex.encode(Hash.sha256(written))))
            let json = try auditor.run(["audit", "review", "--json"])
            #expect(json.status == 0)
            let obj = try h.jsonObject(json)
            #expect(obj["findingsHash"] is String && obj["findings"] is [String: Any])
            let refused = try w.cli.as(w.keys["investigator"]!.path).run(["audit", "review"])
            #expect(refused.status == 1)
            h.expectOneErrorLine(refused)
            let bad = try auditor.run(["audit", "review", "--since", "someday"])
            #expect(bad.status == 2)
        }
    }
}
