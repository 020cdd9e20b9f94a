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

extension AuditCommand {
    /// `sarah-vault audit cosign CHECKPOINT [--out PATH]`.
    struct Cosign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add your signature to a checkpoint, after checking the log is consistent with it.",
            discussion: """
                A checkpoint signed by several people (the officer, the auditor, the board) can be \
                forged only by all of them together. The checkpoint must be this vault's, signed by a \
                current member, and the log as it stands must have only grown since; otherwise \
                nothing is signed (exit 1). The cosigning is recorded in the log.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The checkpoint file.", valueName: "checkpoint")) var checkpoint: String
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Write the cosigned checkpoint to this new file instead of standard output.", valueName: "path"))
        var out: String?

        func run() throws {
            let vault = try global.openVault()
            let result = try vault.cosign(checkpointFile: checkpoint, to: out)
            if global.json {
                Output.json(
                    CheckpointLine(
                        checkpoint: result.checkpoint, path: out, origin: vault.checkpointOrigin,
                        verifierKey: try vault.checkpointVerifierKey()))
                return
            }
            if let out {
                Output.line("wrote the checkpoint with \(result.signatures) signatures to \(out)")
            } else {
                print(result.checkpoint, terminator: "")
            }
            Output.note(
                result.alreadySigned
                    ? "you had signed this checkpoint already" : "checked and cosigned: \(result.report.message)")
        }
    }

    /// `sarah-vault audit prove SEQ [--checkpoint FILE] [--out PATH]`.
    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained proof (C2SP tlog-proof) that an entry is in the log.",
            discussion: """
                The proof holds the entry, its inclusion proof and a checkpoint signed by you (or, \
                with --checkpoint, that checkpoint and its cosignatures). Anyone can check it offline \
                with 'sarah-vault audit verify-proof FILE --key <the signer's public key>'.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The entry's seq.", valueName: "seq")) var seq: Int64
        @Option(
            help: ArgumentHelp(
                "Prove against this checkpoint (it must hold for the log) instead of a new one.", valueName: "path"))
        var checkpoint: String?
        @Option(help: ArgumentHelp("Write the proof to this new file instead of standard output.", valueName: "path"))
        var out: String?

        func run() throws {
            let vault = try global.openVault()
            let given = try checkpoint.map { (path) throws(VaultError) in try Vault.checkpointText(file: path) }
            if let out {
                try vault.writeProof(seq: seq, against: given, to: out)
                Output.line("wrote a proof of audit entry \(seq) to \(out)")
                Output.note("check it with: sarah-vault audit verify-proof \(out) --key \(vault.actingPublicKey)")
            } else {
                print(try vault.prove(seq: seq, against: given), terminator: "")
            }
        }
    }

    /// `sarah-vault audit verify-proof FILE [--key svpk1…]…` — no vault needed.
    struct VerifyProof: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-proof",
            abstract: "Check an audit proof offline, with no vault, trusting only the keys you name.",
            discussion: """
                Trusts checkpoint signatures by the --key public keys only; without --key, your own \
                (the public key of your identity file, no passphrase needed). Exit 0 when the entry \
                is proved to be in the log; exit 1 when the proof does not hold.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The proof file.", valueName: "proof")) var proof: String
        @Option(
            name: .customLong("key"),
            help: ArgumentHelp("Trust checkpoint signatures by this public key (repeatable).", valueName: "svpk1…"))
        var keys: [String] = []

        func run() throws {
            var trusted = try keys.map { (key) throws(VaultError) in try PublicKey(token: key) }
            if trusted.isEmpty {
                guard FileManager.default.fileExists(atPath: global.identityPath) else {
                    throw VaultError(
                        .invalidInput, "no key to trust",
                        hints: [
                            "name the checkpoint's signer with --key svpk1…, or give your --identity if you signed it"
                        ])
                }
                trusted = [try Identity.publicKey(ofFile: global.identityPath)]
            }
            let report = try AuditProofs.verify(file: proof, trusting: trusted)
            if global.json {
                Output.json(report)
                return
            }
            let e = report.entry
            Output.line(
                "ok: entry \(e.seq) (\(e.action) \(e.result) by \(e.actor), \(e.time)) is in the log of vault \(report.vaultID)"
            )
            Output.line(
                "checkpoint of \(report.checkpointSize) entries, root \(report.checkpointRoot), signed by \(report.signers.joined(separator: ", "))"
            )
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
