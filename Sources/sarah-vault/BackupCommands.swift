import ArgumentParser
import Foundation
import SarahVault

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent backup of the vault while others keep working (officers).",
        discussion: "The backup is as encrypted as the vault; it is verified after it is written.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file to create (never overwrites).") var out: String

    func run() throws {
        let report = try global.openVault().backup(to: out)
        if global.json {
            Output.json(report)
        } else {
            Output.line("backup written to \(out) and verified: \(report.entries) entries, root \(report.treeRoot)")
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into --vault (which must not exist yet); the backup must verify.",
        discussion: "Prove it is the log you expect with 'sarah-vault audit verify --against CHECKPOINT' afterwards.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file.") var backup: String

    func run() throws {
        let identity = try global.loadIdentity()
        let report = try Vault.restore(from: backup, to: global.vaultPath, identity: identity)
        if global.json {
            Output.json(report)
        } else {
            Output.line(
                "restored \(backup) to \(global.vaultPath): \(report.entries) entries verified, root \(report.treeRoot)"
            )
        }
    }
}
