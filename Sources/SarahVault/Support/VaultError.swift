/// The one error type of the SarahVault library.
///
/// Modelled on swift-nio's `FileSystemError`: a `Code` that is a struct over a private enum, so
/// that codes can be added without breaking anyone, a human `message`, and where useful a
/// short `hint` telling the person what to do. Messages never carry plaintext, a key, a title or
/// a personnummer: they name identifiers (a case's diarienummer, a key id, a sequence number)
/// and nothing more.
public struct VaultError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case invalidInput, refused, notFound, alreadyExists, authenticationFailed
            case corrupt, verificationFailed, storage, io, unsupported, busy, internalError
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The caller gave something malformed: a bad diarienummer, a mistyped key, a bad file.
        public static let invalidInput = Code(.invalidInput)
        /// The acting person's role or keys do not allow the operation. Always audited.
        public static let refused = Code(.refused)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        /// Wrong passphrase, wrong key, or tampered data: deliberately not told apart.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// Stored data is not what the format says (truncated, reordered, edited).
        public static let corrupt = Code(.corrupt)
        /// `audit verify` found a break.
        public static let verificationFailed = Code(.verificationFailed)
        public static let storage = Code(.storage)
        public static let io = Code(.io)
        public static let unsupported = Code(.unsupported)
        public static let busy = Code(.busy)
        public static let internalError = Code(.internalError)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var hints: [String]

    public init(_ code: Code, _ message: String, hints: [String] = []) {
        self.code = code
        self.message = message
        self.hints = hints
    }

    public var description: String { message }

    /// Whether this failure is the person's lack of a right (exit 1) rather than bad input (exit 2).
    public var isRefusalOrVerification: Bool {
        code == .refused || code == .verificationFailed
    }
}
