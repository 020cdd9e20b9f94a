import ArgumentParser
import Foundation
import SarahVault

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new identity: your key pairs, sealed under a passphrase.",
        discussion: """
            Writes the identity file (mode 0600; never overwrites) and prints its public key, \
            the one word an officer enrols with 'member add --key'. Keep the identity file and \
            its passphrase to yourself.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Your name, as colleagues know you.")
    var name: String

    @Option(
        help: ArgumentHelp(
            "Where to write the identity (default: --identity or ~/.sarah-vault/identity).", valueName: "path"))
    var out: String?

    @Option(help: "How hard the passphrase is stretched (Argon2id): interactive, moderate, sensitive.")
    var kdf: String = "moderate"

    struct Result: Encodable {
        var name: String
        var publicKey: String
        var keyId: String
        var path: String
    }

    func run() throws {
        guard let strength = KDFStrength(rawValue: kdf) else {
            throw VaultError(.invalidInput, "unknown --kdf '\(kdf)'", hints: ["use interactive, moderate or sensitive"])
        }
        let path = out ?? global.identityPath
        if out == nil && global.identity == nil && ProcessInfo.processInfo.environment["SARAH_VAULT_IDENTITY"] == nil {
            try? FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        if FileManager.default.fileExists(atPath: path) {
            throw VaultError(
                .alreadyExists, "\(path) already exists: refusing to overwrite an identity",
                hints: ["choose another --out path"])
        }
        let identity = try Identity.generate(name: name)
        let passphrase = try global.passphrase(prompt: "New passphrase for \(path): ", confirm: true)
        try identity.write(to: path, passphrase: passphrase, kdf: strength)
        if global.json {
            Output.json(
                Result(name: identity.name, publicKey: identity.publicKey.token, keyId: identity.keyID, path: path))
        } else {
            Output.line("identity written to \(path)")
            Output.line("key id:     \(identity.keyID)")
            Output.line("public key: \(identity.publicKey.token)")
        }
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new vault; you become its first member, an officer.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Your unit, if any (stored encrypted).")
    var unit: String?

    @Option(
        help: ArgumentHelp(
            "Write the recovery key to this new file (mode 0600) instead of printing it.", valueName: "path"))
    var recoveryOut: String?

    struct Result: Encodable {
        var vault: String
        var vaultId: String
        var officer: String
        var recoveryKey: String?
        var recoveryKeyFile: String?
    }

    func run() throws {
        let identity = try global.loadIdentity()
        if let recoveryOut, FileManager.default.fileExists(atPath: recoveryOut) {
            throw VaultError(.alreadyExists, "\(recoveryOut) already exists: refusing to overwrite it")
        }
        let vault = try Vault.create(at: global.vaultPath, identity: identity, unit: unit)
        guard let recovery = vault.recoveryKey?.text else {
            throw VaultError(.internalError, "the vault was created without a recovery key")
        }
        if let recoveryOut {
            do throws(VaultError) {
                try PrivateFile.create(recoveryOut, contents: Array((recovery + "\n").utf8), what: "recovery key")
            } catch {
                throw VaultError(
                    .io,
                    "cannot write the recovery key to \(recoveryOut): the vault was created; run 'sarah-vault init' again elsewhere or keep this vault without a saved recovery key"
                )
            }
        }
        if global.json {
            Output.json(
                Result(
                    vault: global.vaultPath, vaultId: vault.id, officer: vault.actingKeyID,
                    recoveryKey: recoveryOut == nil ? recovery : nil, recoveryKeyFile: recoveryOut))
            return
        }
        Output.line("created vault \(global.vaultPath) (id \(vault.id))")
        Output.line("first officer: \(identity.name) (key \(vault.actingKeyID))")
        if let recoveryOut {
            Output.line("recovery key written to \(recoveryOut): move it off this machine, to a safe")
        } else {
            Output.line("")
            Output.line("RECOVERY KEY — shown once. Write it down and keep it in a safe, away from this machine.")
            Output.line("Whoever holds it can open every case; without it, a vault whose officers all left is lost.")
            Output.line("")
            Output.line("    \(recovery)")
            Output.line("")
        }
    }
}

struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Enrol people and list the roster.",
        subcommands: [Add.self, List.self, Import.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a person with a role (officers only).",
            discussion: "Roles: registrar, investigator, unit-manager, officer, auditor, board.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "The person's name (stored encrypted).") var name: String
        @Option(help: "registrar, investigator, unit-manager, officer, auditor or board.") var role: String
        @Option(help: "Their unit (stored encrypted); unit managers see the cases of their unit.") var unit: String?
        @Option(help: "Their public key, as 'keygen' printed it (svpk1…).") var key: String

        func run() throws {
            let role = try Role(parsing: role)
            let key = try PublicKey(token: key)
            let vault = try global.openVault()
            let m = try vault.addMember(name: name, role: role, unit: unit, publicKey: key)
            if global.json {
                Output.json(m)
            } else {
                Output.line("enrolled \(m.name) as \(m.role.rawValue) (key \(m.keyID))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the members of the vault.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let members = try global.openVault().members()
            if global.json {
                Output.json(members)
            } else {
                Table.print(
                    ["KEY ID", "ROLE", "UNIT", "NAME"],
                    members.map { [$0.keyID, $0.role.rawValue, $0.unit ?? "-", $0.name] })
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol everyone in a roster file (see keys.example), all or nothing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The roster file.") var file: String

        func run() throws {
            let text = try TextFile.read(file, what: "roster file")
            let members = try global.openVault().importRoster(text)
            if global.json {
                Output.json(members)
            } else {
                for m in members { Output.line("enrolled \(m.name) as \(m.role.rawValue) (key \(m.keyID))") }
            }
        }
    }
}

enum Table {
    /// Prints aligned columns; every cell is escaped for the terminal (names, titles and units
    /// come from other people).
    static func print(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows.map { $0.map(TerminalText.escaped) }
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        for row in all {
            Output.line(
                row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  "))
        }
    }
}

struct PublicKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey",
        abstract: "Print the public key and key id of an identity file (no passphrase needed).")

    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        var publicKey: String
        var keyId: String
    }

    func run() throws {
        let key = try Identity.publicKey(ofFile: global.identityPath)
        if global.json {
            Output.json(Result(publicKey: key.token, keyId: key.keyID))
        } else {
            Output.line(key.token)
        }
    }
}
