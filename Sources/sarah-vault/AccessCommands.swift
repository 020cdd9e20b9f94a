import ArgumentParser
import Foundation
import SarahVault

struct Grant: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give a member the key to a case (officers).",
        discussion: "The case key is sealed to the member's public key; the grant is audited.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Argument(help: "The member's key id (see 'member list').") var keyID: String

    func run() throws {
        try global.openVault().grant(caseID: caseID, to: keyID)
        if global.json {
            Output.json(["case": caseID, "granted": keyID])
        } else {
            Output.line("granted \(keyID) the key to case \(caseID)")
        }
    }
}

struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assign an investigator to a case: they receive its key (officers).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Argument(help: "The investigator's key id.") var keyID: String

    func run() throws {
        try global.openVault().assign(caseID: caseID, to: keyID)
        if global.json {
            Output.json(["case": caseID, "assigned": keyID])
        } else {
            Output.line("assigned \(keyID) to case \(caseID)")
        }
    }
}

struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a member's access to a case away; the case key is rotated.",
        discussion: """
            Every document key of the case is resealed to a new case key that only the remaining \
            holders receive, so a copy of the vault taken afterwards opens nothing for the revoked \
            person. What they already copied or read cannot be taken back.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Argument(help: "The member's key id.") var keyID: String

    func run() throws {
        try global.openVault().revoke(caseID: caseID, from: keyID)
        if global.json {
            Output.json(["case": caseID, "revoked": keyID])
        } else {
            Output.line("revoked \(keyID) from case \(caseID); its key was rotated")
        }
    }
}

extension MemberCommand {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member: revoked from every case (each case key rotates), no longer able to act.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The member's key id.") var keyID: String

        func run() throws {
            try global.openVault().removeMember(keyID)
            if global.json {
                Output.json(["removed": keyID])
            } else {
                Output.line("removed \(keyID); every case key they held was rotated")
            }
        }
    }
}

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Show or set what each role may do.", subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the policy in force as a table.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let policy = try global.openVault().currentPolicy()
            if global.json {
                var out: [String: [String]] = [:]
                for role in Role.allCases {
                    out[role.rawValue] = Policy.Capability.allCases.filter { policy.allows(role, $0) }.map(\.rawValue)
                }
                Output.json(out)
                return
            }
            let roles = Role.allCases
            Table.print(
                ["CAPABILITY"] + roles.map(\.rawValue),
                Policy.Capability.allCases.map { cap in
                    [cap.rawValue] + roles.map { policy.allows($0, cap) ? "yes" : "-" }
                })
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the policy with a policy file (officers); the change is signed and audited.",
            discussion:
                "Format: one line a role, 'role: capability, capability, …'. 'policy show --json' lists the names.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The policy file.") var file: String

        func run() throws {
            let text = try TextFile.read(file, what: "policy file", limit: 65536)
            try global.openVault().setPolicy(text)
            Output.line("the policy in \(file) is now in force")
        }
    }
}

struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol yourself as an officer using the vault's recovery key (when its officers have left).",
        discussion:
            "Every case key the recovery key holds is sealed to you. The recovery is signed with the recovery key and audited."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("A file holding the recovery key (svrk1-…).", valueName: "path")) var recoveryFile:
        String
    @Option(help: "Your unit, if any.") var unit: String?

    func run() throws {
        let key = try RecoveryKey(text: try TextFile.read(recoveryFile, what: "recovery key file", limit: 4096))
        let identity = try global.loadIdentity()
        let vault = try Vault.recover(at: global.vaultPath, identity: identity, recoveryKey: key, unit: unit)
        if global.json {
            Output.json(["officer": vault.actingKeyID])
        } else {
            Output.line(
                "recovered: \(identity.name) (key \(vault.actingKeyID)) is now an officer of \(global.vaultPath)")
        }
    }
}

struct Decide: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the decision on a case (routine 3.6): not-maladministration, maladministration or serious.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Option(help: "not-maladministration, maladministration or serious.") var outcome: String

    func run() throws {
        let outcome = try Outcome(parsing: outcome)
        try global.openVault().decide(caseID: caseID, outcome: outcome)
        if global.json {
            Output.json(["case": caseID, "status": "decided:" + outcome.rawValue])
        } else {
            Output.line("case \(caseID): decided \(outcome.rawValue)")
        }
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the board's de-identified summary of a case (officers).",
        discussion: "Sealed to the board's key: the board reads summaries, never case content. No personnummer.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Option(help: "The summary text.") var text: String?
    @Option(help: ArgumentHelp("Read the summary from this file.", valueName: "path")) var file: String?

    func run() throws {
        let body: String
        if let file {
            body = try TextFile.read(file, what: "summary file", limit: 65536)
        } else if let text {
            body = text
        } else {
            throw VaultError(.invalidInput, "give the summary with --text or --file")
        }
        let version = try global.openVault().writeSummary(caseID: caseID, text: body)
        if global.json {
            Output.json(["case": caseID, "version": String(version)])
        } else {
            Output.line("summary v\(version) of case \(caseID) written for the board")
        }
    }
}

struct Summaries: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The board's view: every case's latest de-identified summary.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let list = try global.openVault().summaries()
        if global.json {
            Output.json(list)
        } else if list.isEmpty {
            Output.line("no summaries")
        } else {
            for s in list {
                Output.line("\(s.case)  received \(s.received)  \(s.status)")
                for l in s.summary.split(separator: "\n", omittingEmptySubsequences: false) {
                    Output.line("    \(TerminalText.escaped(String(l)))")
                }
            }
        }
    }
}
