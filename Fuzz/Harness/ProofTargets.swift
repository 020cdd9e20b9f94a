@testable import SarahVault

/// The proof file of `audit prove` / `audit verify-proof`.
enum ProofTargets {
    /// `AuditProof(parsing:)` and `verify(trusting:)` with the corpus holder's key, whose
    /// corpus proofs hold. The parser takes one spelling per proof, so what it accepts prints
    /// back as the same bytes.
    static let auditProof = FuzzTarget(
        name: "audit-proof", summary: "audit proof file (tlog-proof): AuditProof(parsing:), verify(trusting:)"
    ) { bytes in
        guard let proof = try? AuditProof(parsing: bytes) else { return }
        Fuzz.expect(Array(proof.text.utf8) == bytes, "a proof that does not print back as its own bytes")
        Fuzz.expect(proof.index >= 0 && proof.path.count <= AuditProof.maxPathLength, "a proof out of range")
        guard let report = try? proof.verify(trusting: [Fuzz.holder.publicKey]) else { return }
        Fuzz.expect(report.signers == [Fuzz.holder.keyID], "a proof verified without the trusted signer")
        Fuzz.expect(report.entry.seq == proof.index, "a proof verified for another entry")
        Fuzz.expect(Int64(proof.index) < report.checkpointSize, "a proof verified outside its tree")
    }
}
