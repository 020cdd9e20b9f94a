import ArgumentParser
import Foundation
import SarahVault

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole story on built-in sample data, narrated.",
        discussion: "Creates fictional people and a vault in a fresh directory; touches nothing else.")

    @Option(help: ArgumentHelp("Where to put the demo's vault and identities (a new directory).", valueName: "path"))
    var dir: String?

    func run() throws {
        let path =
            dir ?? (NSTemporaryDirectory() + "sarah-vault-demo-" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
        let command = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "sarah-vault" } ?? "sarah-vault"
        try DemoStory(directory: path, command: command) { Output.line($0) }.run()
    }
}
