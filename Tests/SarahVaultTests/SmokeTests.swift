import Testing

@testable import SarahVault

@Test func publicKeyTokenRoundTrips() throws {
    let id = try Identity.generate(name: "T")
    let parsed = try PublicKey(token: id.publicKey.token)
    #expect(parsed == id.publicKey)
}
