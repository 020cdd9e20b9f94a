/// Placeholder guard; replaced by the full Skatteverket rules.
public enum Personnummer {
    public static func containsPersonnummer(_ text: String) -> Bool { false }
}
