/// What the library hands back about cases: only what the acting person may see. Fields that
/// need the case key (`title`, `unit`, document names) are nil without it.
public struct ArchivedDocument: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var version: Int64
    public var size: Int64
}

public struct ArchiveResult: Sendable, Codable, Equatable {
    public var `case`: String
    public var created: Bool
    public var documents: [ArchivedDocument]
}

public struct CaseSummary: Sendable, Codable, Equatable {
    public var `case`: String
    public var received: String
    public var status: String
    public var documents: Int
    public var title: String?
    public var unit: String?
    /// Whether the acting person holds a key to the case's content.
    public var access: Bool
}

public struct VersionInfo: Sendable, Codable, Equatable {
    public var version: Int64
    public var size: Int64
    public var archived: String
    public var by: String
}

public struct DocumentInfo: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String?
    public var kind: String
    public var versions: [VersionInfo]
}

public struct CaseDetail: Sendable, Codable, Equatable {
    public var `case`: String
    public var received: String
    public var status: String
    public var title: String?
    public var unit: String?
    public var access: Bool
    public var keyHolders: [String]
    public var documents: [DocumentInfo]
}

/// The case record: the confidential registry fields, kept as document 0 of the case,
/// encrypted like any document (UTF-8 JSON `{"title": …, "unit": …}`).
struct CaseRecord: Codable, Equatable {
    var title: String?
    var unit: String
}

public enum DocumentKind: String, Sendable, CaseIterable {
    case report, investigation, decision
    case ivoNotification = "ivo-notification"
    case other

    public init(parsing text: String) throws(VaultError) {
        guard let k = DocumentKind(rawValue: text.lowercased()) else {
            throw VaultError(
                .invalidInput, "unknown document kind '\(Diarienummer.printable(text))'",
                hints: ["kinds: " + DocumentKind.allCases.map(\.rawValue).joined(separator: ", ")])
        }
        self = k
    }
}
