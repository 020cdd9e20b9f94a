import Dispatch
import Foundation

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

    /// Checks every row; signatures only of rows with `seq >= signaturesFrom` (those before are
    /// covered by a tree root the caller verified earlier and checks again).
    func check(signaturesFrom: Int64) -> [Checked] {
        let rows = self.rows
        let n = rows.count
        guard n > 0 else { return [] }
        let out = Slots(count: n)
        defer { out.release() }
        // A few parts per core, so a core that finishes early takes another.
        let parts = min(n, max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
        let size = (n + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = min(n, part * size)..<min(n, (part + 1) * size)
            for i in range {
                out.set(i, Self.check(rows[i], signature: rows[i].seq >= signaturesFrom))
            }
        }
        return out.values()
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

    /// One result slot per row, each written by exactly one worker.
    ///
    /// `@unchecked Sendable`: worker `part` writes only the slots of its own disjoint range, and
    /// `check` reads them only after `concurrentPerform` has returned, when every worker is done.
    private final class Slots: @unchecked Sendable {
        private let base: UnsafeMutablePointer<Checked>
        private let count: Int

        init(count: Int) {
            self.count = count
            base = .allocate(capacity: count)
            base.initialize(repeating: Checked(), count: count)
        }

        func set(_ i: Int, _ value: Checked) { base[i] = value }

        func values() -> [Checked] { Array(UnsafeBufferPointer(start: base, count: count)) }

        func release() {
            base.deinitialize(count: count)
            base.deallocate()
        }
    }
}
