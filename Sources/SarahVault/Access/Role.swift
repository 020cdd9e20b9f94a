/// The roles of the Skarpnäck routine (see `shared/seeds/README.md`).
public enum Role: String, Sendable, CaseIterable, Codable {
    case registrar
    case investigator
    case unitManager = "unit-manager"
    case officer
    case auditor
    case board

    /// The byte that stands for the role in an audit entry; 0 is "not a member".
    var code: UInt8 {
        switch self {
        case .registrar: return 1
        case .investigator: return 2
        case .unitManager: return 3
        case .officer: return 4
        case .auditor: return 5
        case .board: return 6
        }
    }

    init?(code: UInt8) {
        guard let r = Role.allCases.first(where: { $0.code == code }) else { return nil }
        self = r
    }

    public init(parsing text: String) throws(VaultError) {
        guard let r = Role(rawValue: text.lowercased()) else {
            throw VaultError(
                .invalidInput, "unknown role '\(Diarienummer.printable(text))'",
                hints: ["roles: " + Role.allCases.map(\.rawValue).joined(separator: ", ")])
        }
        self = r
    }
}
