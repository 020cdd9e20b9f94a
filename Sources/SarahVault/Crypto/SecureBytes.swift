internal import CSodium

/// Secret bytes in guarded memory: `sodium_malloc` (guard pages, canary, `mlock`), wiped and
/// freed in `deinit`. Pointers never escape the `withUnsafe…` closures.
///
/// Like swift-crypto's `SecureBytes`, but over libsodium's allocator. Not `Sendable`: a secret
/// belongs to the one task that unlocked it.
final class SecureBytes {
    private let pointer: UnsafeMutableRawPointer
    let count: Int

    init(count: Int) throws(VaultError) {
        try Sodium.ensureInitialised()
        // sodium_malloc(0) is valid but returns a pointer we may not touch; keep one byte.
        guard let p = sodium_malloc(max(count, 1)) else {
            throw VaultError(.internalError, "could not allocate guarded memory for a key")
        }
        pointer = p
        self.count = count
        sodium_memzero(p, max(count, 1))
    }

    /// Copies `bytes` into guarded memory and wipes the caller's array.
    convenience init(consuming bytes: inout [UInt8]) throws(VaultError) {
        try self.init(count: bytes.count)
        let n = bytes.count
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { pointer.copyMemory(from: base, byteCount: n) }
        }
        Sodium.wipe(&bytes)
    }

    deinit {
        sodium_free(pointer)  // sodium_free zeroes the memory before releasing it
    }

    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// The bytes as a typed pointer, for C functions whose key parameters are non-null.
    func withPointer<R, E: Error>(_ body: (UnsafePointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafePointer(pointer.assumingMemoryBound(to: UInt8.self)))
    }

    func withMutablePointer<R, E: Error>(_ body: (UnsafeMutablePointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(pointer.assumingMemoryBound(to: UInt8.self))
    }

    /// A slice copied into new guarded memory.
    func slice(_ range: Range<Int>) throws(VaultError) -> SecureBytes {
        let out = try SecureBytes(count: range.count)
        out.withUnsafeMutableBytes { dst in
            dst.baseAddress?.copyMemory(from: pointer + range.lowerBound, byteCount: range.count)
        }
        return out
    }

    func equals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return other.withUnsafeBytes { sodium_memcmp(pointer, $0.baseAddress, count) == 0 }
    }

    /// Copies out into an ordinary array. Only for bytes that are about to be sealed or
    /// encrypted by a C call that needs contiguous input, and wiped by the caller afterwards.
    func unsafeCopy() -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

@available(*, unavailable)
extension SecureBytes: Sendable {}
