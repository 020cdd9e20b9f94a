import ArgumentParser
import Foundation
import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// The options every command takes (CLI.md, "Everywhere").
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The vault file (env SARAH_VAULT).", valueName: "path"))
    var vault: String?

    @Option(name: .long, help: ArgumentHelp("Your identity file (env SARAH_VAULT_IDENTITY).", valueName: "path"))
    var identity: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file holding the passphrase (else env SARAH_VAULT_PASSPHRASE, else a prompt).", valueName: "path"))
    var passphraseFile: String?

    @Flag(name: .long, help: "Machine-readable output on stdout.")
    var json = false

    /// Global options may stand before the command (`sarah-vault --vault v init`); the parser
    /// wants them after it, so they are moved to the end (before any `--`).
    static func hoisted(_ args: [String]) -> [String] {
        let withValue: Set<String> = ["--vault", "--identity", "--passphrase-file"]
        var leading: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if withValue.contains(a), i + 1 < args.count {
                leading += [a, args[i + 1]]
                i += 2
            } else if a == "--json" || withValue.contains(where: { a.hasPrefix($0 + "=") }) {
                leading.append(a)
                i += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return args }
        var rest = Array(args[i...])
        let end = rest.firstIndex(of: "--") ?? rest.count
        rest.insert(contentsOf: leading, at: end)
        return rest
    }

    var vaultPath: String {
        vault ?? ProcessInfo.processInfo.environment["SARAH_VAULT"] ?? "./vault.sarah"
    }

    var identityPath: String {
        if let identity { return identity }
        if let env = ProcessInfo.processInfo.environment["SARAH_VAULT_IDENTITY"] { return env }
        return Self.defaultIdentityPath
    }

    static var defaultIdentityPath: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.sarah-vault/identity"
    }

    /// The passphrase, from the file, the environment or the terminal, in that order.
    func passphrase(prompt: String, confirm: Bool = false) throws(VaultError) -> Passphrase {
        if let passphraseFile {
            var bytes = Array(try TextFile.read(passphraseFile, what: "passphrase file", limit: 4096).utf8)
            return try Passphrase(bytes: &bytes)
        }
        if let env = ProcessInfo.processInfo.environment["SARAH_VAULT_PASSPHRASE"] {
            var bytes = Array(env.utf8)
            return try Passphrase(bytes: &bytes)
        }
        guard var first = Terminal.readSecret(prompt: prompt) else {
            throw VaultError(
                .invalidInput, "no passphrase: there is no terminal to ask on",
                hints: ["give --passphrase-file PATH or set SARAH_VAULT_PASSPHRASE"])
        }
        if confirm {
            guard var second = Terminal.readSecret(prompt: "Repeat the passphrase: ") else {
                throw VaultError(.invalidInput, "no passphrase confirmation")
            }
            defer { _ = second.withUnsafeMutableBytes { p in p.initializeMemory(as: UInt8.self, repeating: 0) } }
            guard first == second else {
                throw VaultError(.invalidInput, "the two passphrases differ")
            }
        }
        return try Passphrase(bytes: &first)
    }

    /// Unlocks the acting person's identity.
    func loadIdentity() throws(VaultError) -> Identity {
        let path = identityPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw VaultError(
                .notFound, "no identity file at \(path)",
                hints: ["create one with 'sarah-vault keygen --name NAME --out \(path)', or pass --identity PATH"])
        }
        _ = try Identity.publicKey(ofFile: path)  // a wrong file fails before the prompt
        return try Identity.load(from: path, passphrase: try passphrase(prompt: "Passphrase for \(path): "))
    }

    func openVault() throws(VaultError) -> Vault {
        let identity = try loadIdentity()
        return try Vault.open(at: vaultPath, identity: identity)
    }
}

/// Reads a secret from the controlling terminal with echo off.
enum Terminal {
    static func readSecret(prompt: String) -> [UInt8]? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return nil }
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = write(fd, prompt, prompt.utf8.count)
        _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            _ = tcsetattr(fd, TCSAFLUSH, &old)
            _ = write(fd, "\n", 1)
        }
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == 0x0a || byte == 0x0d { break }
            out.append(byte)
            if out.count > 4096 { return nil }
        }
        return out
    }
}
