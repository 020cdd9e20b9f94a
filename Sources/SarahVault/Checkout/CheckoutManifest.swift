import Foundation

/// What a checkout package says about itself, inside its encryption: which checkout, from
/// which vault, of which case, for whom, issued by whom, until when, and its documents.
public struct CheckoutManifest: Sendable, Codable, Equatable {
    public struct Document: Sendable, Codable, Equatable {
        public var doc: Int64
        public var version: Int64
        public var name: String
        public var kind: String
        public var size: Int64
    }

    public var format: Int
    public var id: String
    public var vault: String
    public var `case`: String
    public var title: String?
    public var unit: String?
    public var holder: String
    public var holderKey: String
    public var issuer: String
    public var issuerKey: String
    /// Milliseconds since 1970 (UTC).
    public var issued: Int64
    public var expires: Int64
    public var documents: [Document]

    public var isExpired: Bool { AuditLog.now() >= expires }
}

/// How long a checkout lasts: `30s`, `90m`, `8h`, `3d` (a working day, 8h, by default).
public enum CheckoutDuration {
    public static let `default`: Int64 = 8 * 3600 * 1000

    public static func parse(_ text: String) throws(VaultError) -> Int64 {
        let t = text.trimmingWhitespace().lowercased()
        guard let unit = t.last, let n = Int64(t.dropLast()), n > 0 else {
            throw VaultError(
                .invalidInput, "'\(Diarienummer.printable(text))' is not a duration",
                hints: ["write e.g. 30s, 90m, 8h or 3d"])
        }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86400
        default:
            throw VaultError(
                .invalidInput, "'\(Diarienummer.printable(text))' is not a duration",
                hints: ["write e.g. 30s, 90m, 8h or 3d"])
        }
        guard n <= 90 * 86400 / seconds else {
            throw VaultError(.invalidInput, "a checkout may last at most 90 days")
        }
        return n * seconds * 1000
    }
}
