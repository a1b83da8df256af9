import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite("PlaintextBuffer")
struct PlaintextBufferTests {
    @Test("pieces are joined in order, read back through a source, and the limit is kept")
    func piecesAndLimit() throws {
        let buffer = PlaintextBuffer(limit: 10)
        #expect(buffer.append([1, 2, 3]) && buffer.append([]) && buffer.append([4, 5, 6, 7]))
        #expect(!buffer.append([8, 9, 10, 11]), "past the limit nothing is kept")
        #expect(buffer.count == 7)
        #expect(buffer.withBytes { Array($0) } == [1, 2, 3, 4, 5, 6, 7])
        #expect(buffer.copy(from: 5, length: 10) == [6, 7] && buffer.copy(from: 7, length: 1) == [])
        #expect(buffer.append([8, 9, 10]), "appending after a read keeps what was read")
        var reader = buffer.reader()
        var out = [UInt8](repeating: 0, count: 4)
        var all: [UInt8] = []
        while case let n = try out.withUnsafeMutableBytes({ try reader.read(into: $0) }), n > 0 { all += out[0..<n] }
        #expect(all == Array(1...10))
    }

    @Test("reading a source stops at the limit with the caller's error")
    func readBounded() throws {
        var rng = SeededBytes(seed: 9)
        let payload = rng.next(3 << 20)
        let fits = PlaintextBuffer(limit: payload.count)
        var source = MemorySource(payload)
        try fits.read(from: &source, tooLarge: STIXMarkings.tooLarge)
        #expect(fits.withBytes { Array($0) } == payload)
        let small = PlaintextBuffer(limit: payload.count - 1)
        var again = MemorySource(payload)
        let error = try #require(throws: CoreError.self) { try small.read(from: &again, tooLarge: STIXMarkings.tooLarge) }
        #expect(error.code == .invalidArgument)
    }
}
