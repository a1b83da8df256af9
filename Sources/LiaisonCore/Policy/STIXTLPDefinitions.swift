/// The published STIX marking-definition identifiers of the Traffic Light Protocol,
/// so that a bundle's references to them can be read without the definitions
/// themselves being in the bundle.
public enum STIXTLPDefinitions {
    /// Which TLP edition a published definition belongs to.
    public enum Edition: String, Sendable, Hashable {
        /// TLP 1.0, defined in STIX 2.1 itself (§7.2.1.4): white, green, amber, red.
        case tlp1 = "TLP 1.0"
        /// TLP 2.0, from the OASIS extension `extension-definition--60a3c5c5-…`.
        case tlp2 = "TLP 2.0"
    }

    /// TLP 1.0 (STIX 2.1 §7.2.1.4). TLP:WHITE is read as TLP:CLEAR, as TLP 2.0 prescribes.
    public static let tlp1: [TrafficLightProtocol: String] = [
        .clear: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        .green: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        .amber: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        .red: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    ]

    /// TLP 2.0, as published by OASIS in cti-stix-common-objects
    /// (`extension-definition-specifications/tlp-2.0`).
    public static let tlp2: [TrafficLightProtocol: String] = [
        .clear: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        .green: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        .amber: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        .amberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        .red: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    ]

    /// The key under `extensions` of a TLP 2.0 marking definition; its `tlp_2_0`
    /// property holds the level (`clear`, `green`, `amber`, `amber+strict`, `red`).
    public static let tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

    /// The level and edition of a published identifier, or nil for any other.
    public static func level(of id: String) -> (tlp: TrafficLightProtocol, edition: Edition)? {
        byID[id]
    }

    private static let byID: [String: (tlp: TrafficLightProtocol, edition: Edition)] = {
        var table: [String: (tlp: TrafficLightProtocol, edition: Edition)] = [:]
        for (tlp, id) in tlp1 { table[id] = (tlp, .tlp1) }
        for (tlp, id) in tlp2 { table[id] = (tlp, .tlp2) }
        return table
    }()
}
