import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite("STIX bundle markings")
struct STIXMarkingsTests {
    static let stix = "application/stix+json;version=2.1"

    func read(_ text: String, contentType: String? = stix) throws -> STIXMarkings? {
        try STIXMarkings.read(Array(text.utf8), contentType: contentType)
    }

    @Test("an indicator marked TLP:AMBER with the TLP 1.0 id")
    func amberTLP1() throws {
        let markings = try #require(try read(STIXBundles.amberTLP1))
        #expect(markings.strictest == .amber)
        #expect(markings.findings == [.init(tlp: .amber, place: .objectMarkingRefs, standardID: STIXBundles.tlp1Amber)])
        #expect(markings.summary == "TLP:AMBER in object_marking_refs (TLP 1.0 \(STIXBundles.tlp1Amber))")
    }

    @Test("granular markings count: a TLP:RED pattern in a TLP:GREEN indicator makes the bundle RED")
    func granular() throws {
        let markings = try #require(try read(STIXBundles.granularRed))
        #expect(markings.strictest == .red)
        #expect(markings.findings.map(\.place) == [.granularMarkings, .objectMarkingRefs])
        #expect(markings.findings.map(\.tlp) == [.red, .green])
    }

    @Test("the OASIS TLP 2.0 AMBER+STRICT definition, carried and referenced")
    func amberStrictTLP2() throws {
        let markings = try #require(try read(STIXBundles.amberStrictTLP2))
        #expect(markings.strictest == .amberStrict)
        #expect(Set(markings.findings.map(\.place)) == [.objectMarkingRefs, .markingDefinition])
        #expect(markings.findings.allSatisfy { $0.tlp == .amberStrict && $0.standardID == STIXBundles.tlp2AmberStrict })
        #expect(markings.summary.contains("TLP 2.0 \(STIXBundles.tlp2AmberStrict)"))
    }

    @Test("a TLP 2.0 id is read without its definition in the bundle")
    func tlp2ReferenceOnly() throws {
        #expect(try read(STIXBundles.indicator(objectMarkings: [STIXBundles.tlp2Red]))?.strictest == .red)
    }

    @Test("a TLP definition of the producer's own counts, without repeating its id")
    func ownDefinition() throws {
        let markings = try #require(try read(STIXBundles.ownTLPDefinition))
        #expect(markings.findings == [.init(tlp: .amber, place: .markingDefinition, standardID: nil)])
        #expect(markings.summary == "TLP:AMBER in marking-definition object (defined in the bundle)")
    }

    @Test("a definition named TLP:AMBER+STRICT counts by its name; the strictest reading of a definition wins")
    func byNameAndStrictestReading() throws {
        let named = STIXBundles.indicator(objectMarkings: [], extraObjects: [#"""
            {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--7c4f2e6a-1b0d-4c55-9f0e-2a6d1e3b4c5d",
             "created": "2024-03-01T09:00:00.000Z", "name": "TLP:AMBER+STRICT"}
            """#])
        #expect(try read(named)?.strictest == .amberStrict)
        // A published AMBER id whose content says RED is RED, and no longer named as the AMBER id.
        let contradictory = STIXBundles.indicator(objectMarkings: [], extraObjects: ["""
            {"type": "marking-definition", "spec_version": "2.1", "id": "\(STIXBundles.tlp1Amber)",
             "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "red"}}
            """])
        #expect(try read(contradictory)?.findings == [.init(tlp: .red, place: .markingDefinition, standardID: nil)])
    }

    @Test("a statement marking and no marking at all claim no TLP, and are consistent with anything")
    func noTLP() throws {
        for bundle in [STIXBundles.statementOnly, STIXBundles.unmarked, #"{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#] {
            let markings = try #require(try read(bundle))
            #expect(markings.strictest == nil && markings.summary == "no TLP markings")
            let check = try STIXMarkingCheck(payload: Array(bundle.utf8), contentType: Self.stix, markings: Markings(tlp: .clear), strict: true)
            #expect(check.decision == .consistent && check.markings.tlp == .clear && check.note == nil)
        }
    }

    @Test("without a STIX content type, anything that is not a bundle is simply not STIX")
    func notSTIXContentType() throws {
        #expect(try read(#"{"type": "indicator", "id": "indicator--1"}"#, contentType: "application/json") == nil)
        #expect(try read("not json at all", contentType: "application/octet-stream") == nil)
        #expect(try read(STIXBundles.amberTLP1, contentType: "application/json")?.strictest == .amber)
        // A JSON object of type bundle is a bundle whatever its label: malformed, it is an
        // error (its markings must not pass unchecked), not "not STIX".
        let malformed = try #require(throws: CoreError.self) { try read(#"{"type": "bundle", "objects": 3}"#, contentType: nil) }
        #expect(malformed.code == .invalidMarkings)
        #expect(throws: CoreError.self) {
            try read(#"{"type": "bundle", "objects": [{"type": "indicator", "object_marking_refs": "not-a-list"}]}"#, contentType: "application/json")
        }
    }

    @Test("a STIX content type whose payload is not a readable bundle is an error that repeats none of it",
          arguments: [
            "{\"type\": \"bundle\", \"objects\": [ {\"type\": \"indicator\", \"name\": \"\(STIXBundles.secret)\"",   // truncated JSON
            "\(STIXBundles.secret)",                                                                          // not JSON
            "{\"type\": \"indicator\", \"name\": \"\(STIXBundles.secret)\"}",                                 // one object, not a bundle
            "[{\"type\": \"bundle\"}]",                                                                       // not an object
            "{\"type\": \"bundle\", \"objects\": {\"name\": \"\(STIXBundles.secret)\"}}",                     // objects not an array
            "{\"type\": \"bundle\", \"objects\": [\"\(STIXBundles.secret)\"]}",                               // an object that is not an object
            "{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", \"object_marking_refs\": \"\(STIXBundles.tlp1Red)\"}]}",
            "{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", \"granular_markings\": [{\"marking_ref\": 7}]}]}",
            "{\"type\": \"bundle\", \"objects\": [{\"type\": \"marking-definition\", \"definition_type\": \"tlp\", \"definition\": {\"tlp\": \"\(STIXBundles.secret)\"}}]}",
            "{\"type\": \"bundle\", \"objects\": [{\"type\": \"marking-definition\", \"extensions\": {\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\"tlp_2_0\": \"purple\"}}}]}",
            "",
          ])
    func malformed(_ payload: String) throws {
        for contentType in ["application/stix+json", "Application/STIX+JSON; version=2.1"] {
            let error = try #require(throws: CoreError.self) { try read(payload, contentType: contentType) }
            #expect(error.code == .invalidMarkings)
            #expect(!error.message.contains(STIXBundles.secret) && !error.message.contains("purple"), "\(error.message)")
            #expect(error.message.contains("--content-type"))
        }
    }

    @Test("a STIX payload over 64 MiB is refused; another content type is not inspected")
    func oversized() throws {
        var big = [UInt8](repeating: 0x20, count: STIXMarkings.maximumPayloadBytes + 1)
        big.replaceSubrange(0..<18, with: Array(#"{"type": "bundle"}"#.utf8))
        let error = try #require(throws: CoreError.self) { try STIXMarkings.read(big, contentType: "application/stix+json") }
        #expect(error.code == .invalidArgument && error.message.contains("64 MiB"))
        #expect(try STIXMarkings.read(big, contentType: "application/octet-stream") == nil)
        // Exactly at the limit it is read.
        big.removeLast()
        #expect(try STIXMarkings.read(big, contentType: "application/stix+json")?.strictest == nil)
    }

    @Test("STIX content types are recognised with parameters and in any case")
    func contentTypes() {
        for yes in ["application/stix+json", "application/stix+json;version=2.1", " Application/STIX+JSON ; version=2.0"] {
            #expect(STIXMarkings.isSTIX(contentType: yes), "\(yes)")
        }
        for no in [nil, "", "application/json", "application/stix+jsonx", "application/taxii+json;version=2.1", "text/plain; application/stix+json"] {
            #expect(!STIXMarkings.isSTIX(contentType: no), "\(no ?? "nil")")
        }
    }

    @Test("the check raises the package to the bundle's TLP, or refuses with strict markings, and says why without the payload")
    func check() throws {
        let payload = Array(STIXBundles.amberTLP1.utf8)
        let green = try Markings(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["NATO"], caveats: ["EXDIS"])
        let raised = try STIXMarkingCheck(payload: payload, contentType: Self.stix, markings: green, strict: false)
        #expect(raised.markings == (try Markings(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: ["NATO"], caveats: ["EXDIS"])))
        #expect(raised.raisedFrom == .green)
        #expect(raised.note?.hasPrefix("TLP raised from TLP:GREEN to TLP:AMBER: the STIX bundle is marked TLP:AMBER") == true)
        #expect(raised.auditDetails == ["stix-tlp": "AMBER", "tlp-raised-from": "GREEN"])
        let error = try #require(throws: CoreError.self) {
            try STIXMarkingCheck(payload: payload, contentType: Self.stix, markings: green, strict: true)
        }
        #expect(error.code == .policyMarkingConflict && error.code.rawValue == "policy.marking-conflict")
        #expect(error.message.contains("--tlp AMBER") && error.message.contains("--strict-markings"))
        for text in [error.message, raised.note ?? ""] {
            #expect(!text.contains(STIXBundles.secret) && !text.contains("indicator--") && !text.contains("identity--"), "\(text)")
        }
        // A package already stricter than its bundle is left as it is.
        let red = try STIXMarkingCheck(payload: payload, contentType: Self.stix, markings: Markings(tlp: .red), strict: true)
        #expect(red.markings.tlp == .red && red.note == nil && red.auditDetails == ["stix-tlp": "AMBER"])
        // A bundle under another label is still a bundle: read and checked the same way.
        let unlabelled = try STIXMarkingCheck(payload: payload, contentType: "application/octet-stream", markings: green, strict: false)
        #expect(unlabelled.markings.tlp == .amber && unlabelled.raisedFrom == .green)
        #expect(throws: CoreError.self) {
            try STIXMarkingCheck(payload: payload, contentType: "application/json", markings: green, strict: true)
        }
        // Not a bundle and not labelled STIX: nothing changes, nothing is refused.
        for text in [#"{"type": "report"}"#, "{\"type\": \"bundle\", \"objects\": [", "plain text"] {
            let other = try STIXMarkingCheck(payload: Array(text.utf8), contentType: "application/octet-stream", markings: green, strict: true)
            #expect(other.markings == green && other.bundle == nil && other.auditDetails.isEmpty)
        }
        // Only what opens a JSON object is worth reading whole.
        #expect(STIXMarkings.mayBeBundle(prefix: Array(" \n\t{\"type\"".utf8)))
        #expect(STIXMarkings.mayBeBundle(prefix: [0xEF, 0xBB, 0xBF, UInt8(ascii: "{")]))
        #expect(!STIXMarkings.mayBeBundle(prefix: Array("[{}]".utf8)) && !STIXMarkings.mayBeBundle(prefix: [0x00, 0x7B]))
        #expect(!STIXMarkings.mayBeBundle(prefix: [UInt8]()))
    }
}
