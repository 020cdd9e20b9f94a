import Dispatch
import Foundation

/// Work spread over every core with `concurrentPerform`, results kept in order: the shape of
/// every parallel step of verification (entries' signatures, ciphertext chunks' digests).
enum ParallelMap {
    /// `transform` applied to every element, on all cores; the results in the elements' order.
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        let n = items.count
        guard n > 1 else { return items.map(transform) }
        let out = Slots<R>(count: n)
        defer { out.release() }
        // A few parts per core, so a core that finishes early takes another.
        let parts = min(n, max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
        let size = (n + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            for i in min(n, part * size)..<min(n, (part + 1) * size) { out.set(i, transform(items[i])) }
        }
        return out.values()
    }

    /// One result slot per element, each written by exactly one worker.
    ///
    /// `@unchecked Sendable`: worker `part` writes only the slots of its own disjoint range, and
    /// `map` reads them only after `concurrentPerform` has returned, when every worker is done.
    private final class Slots<R>: @unchecked Sendable {
        private let base: UnsafeMutablePointer<R?>
        private let count: Int

        init(count: Int) {
            self.count = count
            base = .allocate(capacity: count)
            base.initialize(repeating: nil, count: count)
        }

        func set(_ i: Int, _ value: R) { base[i] = value }

        /// Every slot is set once `concurrentPerform` returns.
        func values() -> [R] { UnsafeBufferPointer(start: base, count: count).compactMap { $0 } }

        func release() {
            base.deinitialize(count: count)
            base.deallocate()
        }
    }
}
