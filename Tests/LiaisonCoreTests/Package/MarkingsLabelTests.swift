import Foundation
import LiaisonCore
import Testing

@Suite("Markings labels and TLP levels: normalised, or refused with a reason")
struct MarkingsLabelTests {
    @Test("labels are trimmed of spaces and tabs and upper-cased, ASCII only")
    func normalised() throws {
        let markings = try Markings(tlp: .amber, classification: " \trestricted\t", releasableTo: ["eu", "\u{00A0}nato ", "EU"],
                                    caveats: ["noforn", "rel-to/x_1.2+"])
        #expect(markings.classification == "RESTRICTED")
        #expect(markings.releasableTo == ["EU", "NATO"])
        #expect(markings.caveats == ["NOFORN", "REL-TO/X_1.2+"])
        #expect(try Markings(tlp: .red, classification: "top secret").classification == "TOP SECRET", "inner spaces stay")
    }

    @Test("a banner reads back as the markings it shows (caveats split at spaces); anything else is refused")
    func bannerReadBack() throws {
        for markings in [try Markings(tlp: .clear), try Markings(tlp: .amberStrict, classification: "TOP SECRET"),
                         try Markings(tlp: .amber, classification: "RESTRICTED", releasableTo: ["NATO", "EU"]),
                         try Markings(tlp: .red, classification: "SECRET", releasableTo: ["EU"], caveats: ["NOFORN", "EXDIS"]),
                         try Markings(tlp: .green, classification: "CONFIDENTIAL", caveats: ["ORCON"])] {
            #expect(try Markings(parsingBanner: markings.banner) == markings, "\(markings.banner)")
        }
        let spaced = try Markings(tlp: .green, caveats: ["HANDLE VIA X"])
        let readBack = try Markings(parsingBanner: spaced.banner)
        #expect(readBack.caveats == ["HANDLE", "VIA", "X"] && readBack.tlp == .green && readBack.classification == "UNCLASSIFIED")
        // A forwarded package is decided by the forwarding rules as it leaves, read back from its banner too;
        // a caveat that merely mentions FWD/ is not an origin caveat.
        let forwarded = try Markings(tlp: .amber).forwarded(from: try NodeSecrets.generate().publicKeys.fingerprint, package: try PackageID.random())
        let forwardedBack = try Markings(parsingBanner: forwarded.banner)
        #expect(forwarded.leavingDirection == .forward && forwardedBack.leavingDirection == .forward)
        #expect(try Markings(parsingBanner: try Markings(tlp: .amber, caveats: ["SEE FWD/X"]).banner).leavingDirection == .send)
        for bad in ["", "TLP:AMBER", "AMBRE · SECRET", "TLP:GREEN · A · B · C · D", "TLP:GREEN · A · B · C"] {
            #expect(throws: CoreError.self, "\(bad)") { try Markings(parsingBanner: bad) }
        }
    }

    @Test("the blanks trimmed around a label are exactly those Foundation's whitespace set trims")
    func trimmedAsFoundation() throws {
        for value in 0...0x3000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let blank = String(Character(scalar))
            let foundation = (blank + "X").trimmingCharacters(in: .whitespaces) == "X"
            let label = try? Markings(tlp: .green, classification: blank + "x" + blank).classification
            #expect((label == "X") == foundation, "U+\(String(value, radix: 16, uppercase: true))")
        }
    }

    @Test("empty, over-long, non-ASCII or other punctuation is refused", arguments: [
        "", "  \t", String(repeating: "A", count: Markings.maximumLabelLength + 1), "straße", "SECRET!", "A\nB", "ÉTAT",
    ])
    func refused(_ label: String) {
        #expect(throws: (any Error).self) { try Markings(tlp: .green, classification: label) }
    }

    @Test("the longest label is accepted")
    func longest() throws {
        let label = String(repeating: "a", count: Markings.maximumLabelLength)
        #expect(try Markings(tlp: .green, classification: label).classification == label.uppercased())
    }

    @Test("TLP levels parse from canonical labels and their usual spellings")
    func tlpLevels() throws {
        for level in TrafficLightProtocol.allCases { #expect(try TrafficLightProtocol(parsing: level.label) == level) }
        #expect(try TrafficLightProtocol(parsing: " tlp:amber+strict ") == .amberStrict)
        #expect(try TrafficLightProtocol(parsing: "amber-strict") == .amberStrict)
        #expect(try TrafficLightProtocol(parsing: "WHITE") == .clear)
        #expect(try TrafficLightProtocol(parsing: "Red") == .red)
        #expect(throws: (any Error).self) { try TrafficLightProtocol(parsing: "PURPLE") }
        #expect(throws: (any Error).self) { try TrafficLightProtocol(parsing: "") }
    }
}
