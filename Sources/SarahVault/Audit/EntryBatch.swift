import Dispatch

/// Stored audit entries checked on every core at once: each parsed strictly, its RFC 6962 leaf
/// hash computed and its Ed25519 signature checked.
///
/// Those three are independent per entry, so a batch is spread over threads with
/// `concurrentPerform`; everything that depends on the order of the entries (numbering, the
/// chain of leaf hashes, who was a member when) stays with the caller, sequential and cheap.
/// Signature checking is nearly all the work of verifying a log, which is why a full
/// `audit verify` costs little more than libsodium's own time for the signatures on all cores.
struct EntryBatch {
    /// About half a second of signature work on one core; big enough that handing out work is
    /// noise, small enough that memory stays flat on a log of millions.
    static let capacity = 8192

    struct Row: Sendable {
        var seq: Int64
        var bytes: [UInt8]
    }

    struct Checked: Sendable {
        /// nil when the bytes are not a well-formed entry; `error` says why.
        var entry: AuditEntry?
        var error = ""
        var leafHash: [UInt8] = []
        /// Whether the entry's own signature holds; false as well when it was not checked.
        var signatureHolds = false
        var signatureChecked = false
    }

    private(set) var rows: [Row] = []

    init() { rows.reserveCapacity(Self.capacity) }

    var isFull: Bool { rows.count >= Self.capacity }
    var isEmpty: Bool { rows.isEmpty }

    mutating func append(seq: Int64, bytes: [UInt8]) { rows.append(Row(seq: seq, bytes: bytes)) }
    mutating func removeAll() { rows.removeAll(keepingCapacity: true) }

    /// Checks every row in the background, on every core; signatures only of rows with
    /// `seq >= signaturesFrom` (those before are covered by a tree root the caller verified
    /// earlier and checks again). Meanwhile the caller reads the next batch and runs the
    /// order-dependent checks of the previous one, so no core waits for another.
    func launch(signaturesFrom: Int64) -> Pending {
        let pending = Pending(rows: rows)
        pending.group.enter()
        DispatchQueue.global().async {
            pending.results = ParallelMap.map(pending.rows) { row in
                Self.check(row, signature: row.seq >= signaturesFrom)
            }
            pending.group.leave()
        }
        return pending
    }

    /// A batch being checked in the background.
    ///
    /// `@unchecked Sendable`: `results` is written once, by the background task, before it
    /// leaves the group; it is read only after `wait()` has seen the group empty.
    final class Pending: @unchecked Sendable {
        let rows: [Row]
        fileprivate var results: [Checked] = []
        fileprivate let group = DispatchGroup()

        fileprivate init(rows: [Row]) { self.rows = rows }

        /// The results, once the background check has finished.
        func wait() -> [Checked] {
            group.wait()
            return results
        }
    }

    static func check(_ row: Row, signature: Bool) -> Checked {
        var result = Checked()
        result.leafHash = AuditEntry.leafHash(of: row.bytes)
        do throws(VaultError) {
            let entry = try AuditEntry(bytes: row.bytes)
            result.entry = entry
            if signature {
                result.signatureChecked = true
                result.signatureHolds = entry.signatureHolds(over: row.bytes)
            }
        } catch {
            result.error = error.message
        }
        return result
    }
}
