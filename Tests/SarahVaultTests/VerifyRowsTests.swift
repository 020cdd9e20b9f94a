import Foundation
import Testing

@testable import SarahVault

/// `audit verify` holds board summaries and checkouts to the entries that wrote and closed
/// them: an edit by SQL is named, without any key.
@Suite struct VerifyRowsTests {
    static let edits = [
        "UPDATE summaries SET body = zeroblob(length(body))",
        "UPDATE summaries SET version = 7",
        "UPDATE checkouts SET status = 'returned'",
        "UPDATE checkouts SET expires = expires + 86400000",
        "UPDATE checkouts SET holder = (SELECT key_id FROM members WHERE role = 'officer' LIMIT 1)",
    ]

    @Test(arguments: edits)
    func anEditedSummaryOrCheckoutIsNamed(sql: String) throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            try story.vault(.officer).writeSummary(
                caseID: Story.caseID, text: "Ett missförhållande; åtgärder beslutade.")
            _ = try story.vault(.investigator).checkout(caseID: Story.caseID, to: dir.path("paket.svco"))
            #expect(try story.vault(.auditor).verify().ok)

            let raw = try story.raw()
            try raw.db.execute(sql)
            #expect(raw.db.changes > 0)
            let report = try story.vault(.auditor).verify()
            #expect(!report.ok, "\(sql) went unnoticed")
            #expect(
                report.problems.contains { $0.contains("summary") || $0.contains("checkout") }, "\(report.problems)")
        }
    }
}
