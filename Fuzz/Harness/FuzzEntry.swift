import Foundation
@testable import SarahVault

/// libFuzzer entry points for every parser of outside input in SarahVault.
///
/// The harness is compiled together with the library's own sources into one module named
/// `SarahVault` (see `scripts/fuzz.sh`), so it calls the internal parsers exactly as the library
/// does, with no test-only entry points. One binary serves every target: `FUZZ_TARGET` names the
/// one to run, `FUZZ_TARGET=list` prints them. A target must return normally for every input; a
/// trap — a failed precondition, an index out of range, an overflow, or a violated invariant
/// (`Fuzz.expect`) — is the finding, and libFuzzer saves the input that caused it.
struct FuzzTarget: Sendable {
    let name: String
    /// What it feeds, and to which parser.
    let summary: String
    let run: @Sendable (_ bytes: [UInt8]) -> Void
}

enum FuzzTargets {
    static let all: [FuzzTarget] = [
        KeyTargets.identity, KeyTargets.publicKey, KeyTargets.recoveryKey,
        TextTargets.roster, TextTargets.policy,
        AuditTargets.auditEntry, AuditTargets.checkpoint, AuditTargets.merkleProof, ProofTargets.auditProof,
        CheckoutTargets.package, CheckoutTargets.stream,
    ]

    /// The target named by `FUZZ_TARGET`; an unknown name ends the process before fuzzing starts.
    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        if name == "list" {
            for t in all { print("\(t.name)\t\(t.summary)") }
            exit(0)
        }
        guard let target = all.first(where: { $0.name == name }) else {
            let names = all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("sarah-vault-fuzz: set FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(2)
        }
        return target
    }()
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    if let request = ProcessInfo.processInfo.environment["FUZZ_GENERATE"] {
        exit(SeedCorpus.generate(request))
    }
    _ = FuzzTargets.selected
    _ = Fuzz.holder
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    FuzzTargets.selected.run(bytes)
    return 0
}
