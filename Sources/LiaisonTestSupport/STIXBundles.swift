/// Real-looking STIX 2.1 bundles for the marking tests, in the shape producers
/// (OASIS examples, the stix2 library) write them. Each carries
/// ``STIXBundles/secret`` in its content, so a test can check that no message,
/// log line or audit entry repeats the payload.
public enum STIXBundles {
    /// A string that appears in every bundle's content and must never leave it.
    public static let secret = "Operation NIGHTJAR c2 at 203.0.113.77"

    /// TLP 1.0 ids (STIX 2.1 §7.2.1.4).
    public static let tlp1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
    public static let tlp1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    public static let tlp1Red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
    /// TLP 2.0 ids (OASIS extension-definition--60a3c5c5-…).
    public static let tlp2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    public static let tlp2Red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

    /// An indicator and its identity, the indicator marked with `objectMarkings`.
    public static func indicator(objectMarkings: [String], extraObjects: [String] = [], indicatorExtra: String = "") -> String {
        let refs = objectMarkings.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            {
              "type": "bundle",
              "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
              "objects": [
                {
                  "type": "identity",
                  "spec_version": "2.1",
                  "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                  "created": "2024-03-01T09:00:00.000Z",
                  "modified": "2024-03-01T09:00:00.000Z",
                  "name": "Example CERT",
                  "identity_class": "organization"
                },
                {
                  "type": "indicator",
                  "spec_version": "2.1",
                  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                  "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                  "created": "2024-03-01T09:00:00.000Z",
                  "modified": "2024-03-01T09:00:00.000Z",
                  "name": "\(secret)",
                  "indicator_types": ["malicious-activity"],
                  "pattern": "[ipv4-addr:value = '203.0.113.77']",
                  "pattern_type": "stix",
                  "valid_from": "2024-03-01T09:00:00Z"\(objectMarkings.isEmpty ? "" : ",\n          \"object_marking_refs\": [\(refs)]")\(indicatorExtra)
                }\(extraObjects.map { ",\n" + $0 }.joined())
              ]
            }
            """
    }

    /// An indicator marked TLP:AMBER with the TLP 1.0 id.
    public static var amberTLP1: String { indicator(objectMarkings: [tlp1Amber]) }

    /// An indicator marked TLP:GREEN as a whole, with its pattern marked TLP:RED (TLP 1.0 granular markings).
    public static var granularRed: String {
        indicator(objectMarkings: [tlp1Green], indicatorExtra: """
            ,
                      "granular_markings": [
                        {"marking_ref": "\(tlp1Red)", "selectors": ["pattern"]},
                        {"lang": "en", "selectors": ["name"]}
                      ]
            """)
    }

    /// The OASIS TLP 2.0 AMBER+STRICT marking definition, carried in the bundle and
    /// referenced by the indicator.
    public static var amberStrictTLP2: String {
        indicator(objectMarkings: [tlp2AmberStrict], extraObjects: ["""
                {
                  "type": "marking-definition",
                  "spec_version": "2.1",
                  "id": "\(tlp2AmberStrict)",
                  "created": "2022-10-01T00:00:00.000Z",
                  "name": "TLP:AMBER+STRICT",
                  "extensions": {
                    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                      "extension_type": "property-extension",
                      "tlp_2_0": "amber+strict"
                    }
                  }
                }
            """])
    }

    /// A TLP 1.0-style marking definition of the producer's own (not a published id).
    public static var ownTLPDefinition: String {
        indicator(objectMarkings: ["marking-definition--0b3ba3c4-5a1e-4a2c-8a3b-21b9b7c8c9d1"], extraObjects: ["""
                {
                  "type": "marking-definition",
                  "spec_version": "2.1",
                  "id": "marking-definition--0b3ba3c4-5a1e-4a2c-8a3b-21b9b7c8c9d1",
                  "created": "2024-03-01T09:00:00.000Z",
                  "definition_type": "tlp",
                  "definition": {"tlp": "amber"}
                }
            """])
    }

    /// Only a statement marking: no TLP.
    public static var statementOnly: String {
        indicator(objectMarkings: ["marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"], extraObjects: ["""
                {
                  "type": "marking-definition",
                  "spec_version": "2.1",
                  "id": "marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f",
                  "created": "2024-03-01T09:00:00.000Z",
                  "definition_type": "statement",
                  "definition": {"statement": "Copyright 2024, Example CERT"}
                }
            """])
    }

    /// No markings at all.
    public static var unmarked: String { indicator(objectMarkings: []) }
}
