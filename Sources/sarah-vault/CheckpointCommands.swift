import ArgumentParser
import Foundation
import SarahVault

extension AuditCommand {
    /// `sarah-vault audit checkpoint [--out PATH]`.
    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a checkpoint of the audit log (a C2SP tlog-checkpoint) to keep outside the vault.",
            discussion: """
                The checkpoint states how many entries the log has and their Merkle root, signed with \
                your key. Keep it where whoever holds the vault cannot change it: print it into the \
                board's minutes, mail it to the archive authority. Later, 'sarah-vault audit verify \
                --against FILE' proves that the log only grew since: a log cut short, rolled back to \
                an older copy or rewritten fails, and says which.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Write the checkpoint to this new file (never over an existing one) instead of standard output.",
                valueName: "path"))
        var out: String?

        func run() throws {
            let vault = try global.openVault()
            let text =
                try out.map { (path) throws(VaultError) in try vault.writeCheckpoint(to: path) }
                ?? vault.checkpoint()
            let verifierKey = try vault.checkpointVerifierKey()
            if global.json {
                Output.json(
                    CheckpointLine(
                        checkpoint: text, path: out, origin: vault.checkpointOrigin, verifierKey: verifierKey))
                return
            }
            if let out {
                Output.line("wrote a checkpoint of the audit log to \(out)")
            } else {
                print(text, terminator: "")
            }
            Output.note("signed by key \(vault.actingKeyID); note verifier key: \(verifierKey)")
        }
    }
}

/// `audit checkpoint --json`.
struct CheckpointLine: Encodable {
    var checkpoint: String
    var path: String?
    var origin: String
    var verifierKey: String
}

/// The options of `audit verify --against CHECKPOINT [--key KEY]…`, for `AuditCommand.Verify`
/// to take in with `@OptionGroup var checkpoint: CheckpointOptions`.
struct CheckpointOptions: ParsableArguments {
    @Option(
        name: .customLong("against"),
        help: ArgumentHelp(
            "Also prove that the log only grew since this checkpoint (a file from 'audit checkpoint').",
            valueName: "checkpoint"))
    var against: String?

    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "With --against: trust only checkpoint signatures by this public key (repeatable); by default any current member's.",
            valueName: "svpk1…"))
    var keys: [String] = []

    func validate() throws {
        if against == nil && !keys.isEmpty { throw ValidationError("--key is only meaningful with --against") }
    }

    /// Holds the log up to the checkpoint when --against was given; nil when it was not.
    func verify(with vault: Vault) throws(VaultError) -> CheckpointReport? {
        guard let against else { return nil }
        let trusted: [PublicKey]? =
            keys.isEmpty ? nil : try keys.map { (key) throws(VaultError) in try PublicKey(token: key) }
        return try vault.verify(againstCheckpointFile: against, trustedKeys: trusted)
    }
}

/// Printing a `CheckpointReport` for people.
enum CheckpointOutput {
    /// One line on standard output when the checkpoint holds; an error line on standard error,
    /// with a hint, when it does not. Returns whether it held.
    @discardableResult
    static func print(_ report: CheckpointReport) -> Bool {
        guard !report.ok else {
            let signers = report.signers.isEmpty ? "" : " (signed by \(report.signers.joined(separator: ", ")))"
            Output.line("checkpoint: \(report.message)\(signers)")
            return true
        }
        Output.error(report.message)
        switch report.finding {
        case .truncated:
            Output.hint("compare with the newest backup; the missing entries cannot be recovered from this copy")
        case .forked:
            Output.hint("this vault's history differs from the one that was signed; keep both copies for investigation")
        case .untrusted:
            Output.hint("name the signer's public key with --key if they are not a member of this copy of the vault")
        case .otherLog:
            Output.hint("check that --vault names the vault the checkpoint was made for")
        case .brokenLog:
            Output.hint("run 'sarah-vault audit verify' without --against for the full report")
        case .consistent:
            break
        }
        return false
    }
}
