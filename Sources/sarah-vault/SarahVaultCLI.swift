import ArgumentParser
import Foundation
import SarahVault

@main
struct SarahVaultCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sarah-vault",
        abstract: "An encrypted, audited archive for lex Sarah cases.",
        discussion: """
            Every case is encrypted under its own key; each person opens only what their role \
            gives them a key to; every access, granted or refused, is written to a signed, \
            hash-chained audit log.

            Start here:
              sarah-vault demo                   # the whole story on sample data
              sarah-vault keygen --name "Ada" --out ada.id
              sarah-vault --identity ada.id init
              sarah-vault --identity ada.id member add \\
                  --name "Ida" --role investigator --key svpk1…

            The passphrase comes from --passphrase-file, the SARAH_VAULT_PASSPHRASE variable, \
            or a prompt on the terminal; never from the command line.
            """,
        subcommands: [
            Keygen.self, PublicKeyCommand.self, Init.self, MemberCommand.self, Archive.self, Add.self, Cases.self,
            Show.self,
            Read.self, Grant.self, Revoke.self, Assign.self, Decide.self, Summary.self, Summaries.self,
            Checkout.self, Open.self, Checkin.self, Checkouts.self, Lost.self, Backup.self, Restore.self,
            PolicyCommand.self, AuditCommand.self, Recover.self, Demo.self,
        ]
    )

    static func main() {
        PartialFiles.removeOnSignals()  // first: every later thread inherits the blocked signals
        do {
            var command = try parseAsRoot(GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as VaultError {
            Output.fail(error)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            if exitCode(for: error) == .success { self.exit(withError: error) }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad usage"
            Output.error(message.replacingOccurrences(of: "Error: ", with: "").lowercasedFirst())
            Output.hint("see 'sarah-vault help' or add --help to the command")
            Foundation.exit(2)
        }
    }
}

enum Output {
    static func line(_ text: String) {
        print(text)
    }

    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            fail(VaultError(.internalError, "could not encode the output as JSON"))
        }
        print(text)
    }

    static func error(_ message: String) { toStandardError("sarah-vault: error: \(message)\n") }
    static func hint(_ message: String) { toStandardError("hint: \(message)\n") }
    static func note(_ message: String) { toStandardError("\(message)\n") }

    /// A failing stderr (a closed pipe, an I/O error) must not crash the tool: what could not
    /// be said is dropped. (`FileHandle.write` traps on such errors.)
    static func toStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// One line naming what was wrong, hints after it; exit 1 for a refusal or failed
    /// verification, 2 for bad usage or bad input.
    static func fail(_ error: VaultError) -> Never {
        self.error(error.message)
        for h in error.hints { hint(h) }
        exit(error.isRefusalOrVerification ? 1 : 2)
    }
}

extension String {
    func lowercasedFirst() -> String {
        guard let f = first else { return self }
        return f.lowercased() + dropFirst()
    }
}
