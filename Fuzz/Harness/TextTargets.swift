@testable import SarahVault

/// The text files an officer hands the CLI: a roster (`member import`) and a policy (`policy set`).
enum TextTargets {
    /// `RosterFile.parse`, which checks every line (role, key, name, unit, personnummer guard)
    /// before anyone is enrolled.
    static let roster = FuzzTarget(name: "roster", summary: "roster file: RosterFile.parse") { bytes in
        guard let entries = try? RosterFile.parse(Fuzz.text(bytes)) else { return }
        Fuzz.expect(!entries.isEmpty, "a roster naming no one was accepted")
        Fuzz.expect(Set(entries.map(\.key.keyID)).count == entries.count, "a roster enrols one key twice")
        for e in entries {
            Fuzz.expect(
                e.member.keyID == e.key.keyID && e.member.publicKey == e.key.token, "a row's key id is not its key's")
            Fuzz.expect(!e.member.name.isEmpty, "a roster row without a name")
            Fuzz.expect(!Personnummer.containsPersonnummer(e.member.name), "a personnummer in a roster name")
        }
    }

    /// `Policy(parsing:)`; what it accepts must print as a file that parses to the same policy,
    /// and the officer must keep `manage-policy`.
    static let policy = FuzzTarget(name: "policy", summary: "policy file: Policy(parsing:)") { bytes in
        guard let policy = try? Policy(parsing: Fuzz.text(bytes)) else { return }
        Fuzz.expect(policy.allows(.officer, .managePolicy), "a policy that locks the officer out of the policy")
        Fuzz.expect((try? Policy(parsing: policy.text)) == policy, "a policy does not survive printing and parsing")
    }
}
