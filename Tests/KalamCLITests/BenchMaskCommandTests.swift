import Foundation
import KalamText
import Testing

@testable import KalamCLI

/// `kalam bench mask` reports every strategy, masking each sequence once per run.
@Suite(
    .enabled(
        if: FileManager.default.fileExists(
            atPath: KJVCorpus.defaultDirectory.appendingPathComponent(KJVCorpus.referencesFileName).path)))
struct BenchMaskCommandTests {
    @Test func reportsEveryStrategyAsJSON() throws {
        let command = try KalamCommand.parseAsRoot([
            "bench", "mask", "--sequences", "40", "--repeats", "2", "--batch-size", "4", "--json",
        ])
        var text = ""
        try #require(command as? BenchMaskCommand).execute { text += $0 }
        let objects = try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(
            objects.map { $0["case"] as! String } == [
                "mask_random", "mask_random-exact", "mask_whole-word", "mask_span", "mask_pos", "mask_t5-span",
            ])
        let tokens = (objects[0]["shape"] as! [String: Int])["tokens"]!
        for object in objects.prefix(5) {
            // Masking keeps every sequence's length: the checksum counts each token once per run.
            #expect(object["checksum"] as? Int == 2 * tokens)
            #expect((object["runs"] as! [Double]).count == 2 && (object["unit"] as! String) == "sequences/s")
            let share = object["share_of_step"] as! Double
            #expect(share > 0 && share < 1)
        }
    }
}
