/// Placeholder
public struct DemoStory {
    public init(directory: String, say: @escaping (String) -> Void) {}
    public func run() throws(VaultError) {}
}
