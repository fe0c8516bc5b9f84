import Foundation

/// Where the committed fixtures of `scripts/fixtures/models.py` live.
enum ModelFixtures {
    /// `Tests/Fixtures/models/`.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models", isDirectory: true)

    /// A fixture model directory, e.g. `directory("gpt2")`.
    static func directory(_ name: String) -> URL {
        root.appendingPathComponent(name, isDirectory: true)
    }

    /// The `config.json` of a fixture model, as a mutable JSON object.
    static func configObject(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("config.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// JSON bytes of an object (for decoding edited configurations).
    static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
