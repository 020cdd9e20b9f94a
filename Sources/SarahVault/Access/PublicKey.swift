/// A member's public half: the X25519 key that receives sealed case keys and the Ed25519 key
/// that verifies what they sign.
///
/// As a token it is `svpk1` followed by lowercase RFC 4648 base32 (no padding) of
/// `x25519 (32) || ed25519 (32) || checksum (4)`, where the checksum is the first four bytes of
/// SHA-256("svpk1" || x25519 || ed25519). One printable word, safe in a roster file or a mail,
/// and a mistyped character fails the checksum instead of enrolling the wrong key.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    static let prefix = "svpk1"

    public let boxKey: [UInt8]
    public let signingKey: [UInt8]

    init(boxKey: [UInt8], signingKey: [UInt8]) {
        self.boxKey = boxKey
        self.signingKey = signingKey
    }

    /// Parses a token; any typo, wrong length or wrong prefix is a clear error.
    public init(token raw: String) throws(VaultError) {
        let token = raw.trimmingWhitespace()
        guard token.hasPrefix(Self.prefix) else {
            throw VaultError(
                .invalidInput, "not a SarahVault public key (it must start with '\(Self.prefix)')",
                hints: ["copy the key printed by 'sarah-vault keygen' whole"])
        }
        let body = String(token.dropFirst(Self.prefix.count))
        guard let bytes = Base32.decode(body), bytes.count == 68 else {
            throw VaultError(.invalidInput, "the public key is mistyped or incomplete (wrong length or characters)")
        }
        let x = Array(bytes[0..<32])
        let ed = Array(bytes[32..<64])
        guard Sodium.constantTimeEqual(Array(bytes[64..<68]), Self.checksum(x, ed)) else {
            throw VaultError(.invalidInput, "the public key is mistyped: its checksum does not match")
        }
        self.init(boxKey: x, signingKey: ed)
    }

    static func checksum(_ x: [UInt8], _ ed: [UInt8]) -> [UInt8] {
        Array(Hash.sha256(Array(prefix.utf8), x, ed)[0..<4])
    }

    public var token: String {
        Self.prefix + Base32.encode(boxKey + signingKey + Self.checksum(boxKey, signingKey))
    }

    /// 16 lowercase hex digits: the first 8 bytes of SHA-256("sarahvault/v1/key-id" || x25519 || ed25519).
    public var keyID: String {
        Hex.encode(Hash.sha256(Array("sarahvault/v1/key-id".utf8), boxKey, signingKey)[0..<8])
    }

    public var description: String { token }
}

/// RFC 4648 base32, lowercase, without padding; decoding rejects non-zero trailing bits so
/// every key has exactly one spelling.
enum Base32 {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in data {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): v = c - UInt8(ascii: "2") + 26
            default: return nil
            }
            buffer = (buffer << 5 | UInt32(v)) & 0xfff
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        guard bits < 5, buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
