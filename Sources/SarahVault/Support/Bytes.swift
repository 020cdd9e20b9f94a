/// Small byte helpers: hex, big-endian integers, and a bounds-checked reader for parsing
/// untrusted input (every parser of outside data goes through `ByteReader`).
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { be(UInt64(v), 2) }
    mutating func u32(_ v: UInt32) { be(UInt64(v), 4) }
    mutating func u64(_ v: UInt64) { be(v, 8) }
    mutating func i64(_ v: Int64) { be(UInt64(bitPattern: v), 8) }

    /// A string prefixed by its UTF-8 length in one byte (at most 255 bytes).
    mutating func short(_ s: String) {
        let b = Array(s.utf8)
        precondition(b.count <= 255)
        u8(UInt8(b.count))
        append(b)
    }

    /// Bytes prefixed by their length as a big-endian UInt16.
    mutating func long(_ b: [UInt8]) {
        precondition(b.count <= 0xffff)
        u16(UInt16(b.count))
        append(b)
    }

    private mutating func be(_ v: UInt64, _ n: Int) {
        for i in (0..<n).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}

struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func take(_ n: Int) throws(VaultError) -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw VaultError(.corrupt, "\(what) is truncated")
        }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func u8() throws(VaultError) -> UInt8 { try take(1)[0] }
    mutating func u16() throws(VaultError) -> UInt16 { UInt16(try be(2)) }
    mutating func u32() throws(VaultError) -> UInt32 { UInt32(try be(4)) }
    mutating func u64() throws(VaultError) -> UInt64 { try be(8) }
    mutating func i64() throws(VaultError) -> Int64 { Int64(bitPattern: try be(8)) }

    mutating func short() throws(VaultError) -> String {
        try utf8(try take(Int(try u8())))
    }

    mutating func long() throws(VaultError) -> [UInt8] {
        try take(Int(try u16()))
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    func utf8(_ b: [UInt8]) throws(VaultError) -> String {
        guard let s = String(validating: b, as: UTF8.self) else {
            throw VaultError(.corrupt, "\(what) holds text that is not UTF-8")
        }
        return s
    }

    func expectEnd() throws(VaultError) {
        guard isAtEnd else { throw VaultError(.corrupt, "\(what) has \(remaining) unexpected trailing bytes") }
    }

    private mutating func be(_ n: Int) throws(VaultError) -> UInt64 {
        try take(n).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a typed-throwing body (the standard one only rethrows `any Error`).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(VaultError) -> R) throws(VaultError) -> R {
        let result: Result<R, VaultError> = withUnsafeBytes { p in
            Result { () throws(VaultError) -> R in try body(p) }
        }
        return try result.get()
    }
}
