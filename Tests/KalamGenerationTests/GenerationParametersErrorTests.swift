import KalamGeneration
import Testing

@Suite struct GenerationParametersErrorTests {
    @Test func aNegativeMinimumOfNewTokensIsRejected() {
        var p = GenerationParameters()
        p.minNewTokens = -1
        #expect(throws: GenerationError.minNewTokensNegative(-1)) { try p.validate() }
        #expect(GenerationError.minNewTokensNegative(-1).description == "min new tokens must be >= 0, got -1")
    }
}
