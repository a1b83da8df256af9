extension STIXMarkings {
    /// Gathers findings while a bundle is read. Marking properties must be well
    /// formed: one that cannot be read could hide a stricter marking, so it is an
    /// error rather than something skipped. Nothing of the bundle's content goes
    /// into an error message, only positions.
    struct Collector {
        private struct Key: Hashable {
            let tlp: TrafficLightProtocol
            let place: Place
            let standardID: String?
        }

        private var counts: [Key: Int] = [:]

        /// What was found so far.
        var findings: [Finding] {
            counts.map { Finding(tlp: $0.key.tlp, place: $0.key.place, standardID: $0.key.standardID, count: $0.value) }
        }

        private mutating func add(_ tlp: TrafficLightProtocol, _ place: Place, standardID: String?) {
            counts[Key(tlp: tlp, place: place, standardID: standardID), default: 0] += 1
        }

        /// `object_marking_refs` and `granular_markings[].marking_ref` that name a
        /// published TLP definition. Other references (statements, a bundle's own
        /// definitions, which are read as objects) add nothing here.
        mutating func readReferences(of object: [String: Any], index: Int?) throws {
            let what = index.map { "object \($0) of the bundle" } ?? "the bundle"
            if let refs = object["object_marking_refs"] {
                guard let list = refs as? [Any] else { throw notABundle("the object_marking_refs of \(what) is not an array") }
                for ref in list {
                    guard let id = ref as? String else { throw notABundle("the object_marking_refs of \(what) holds something other than identifiers") }
                    if let known = STIXTLPDefinitions.level(of: id) { add(known.tlp, .objectMarkingRefs, standardID: id) }
                }
            }
            if let granular = object["granular_markings"] {
                guard let list = granular as? [Any] else { throw notABundle("the granular_markings of \(what) is not an array") }
                for element in list {
                    guard let marking = element as? [String: Any] else { throw notABundle("the granular_markings of \(what) holds something other than objects") }
                    switch marking["marking_ref"] {
                    case nil: break   // a language marking (`lang`)
                    case let id as String:
                        if let known = STIXTLPDefinitions.level(of: id) { add(known.tlp, .granularMarkings, standardID: id) }
                    default: throw notABundle("a granular marking of \(what) has a marking_ref that is not an identifier")
                    }
                }
            }
        }

        /// A `marking-definition` object: a TLP one counts at the strictest level it
        /// states anywhere (a published id, TLP 1.0 `definition.tlp`, the TLP 2.0
        /// extension's `tlp_2_0`, or a `name` such as `TLP:AMBER+STRICT`).
        /// Definitions of other kinds (statements) add nothing.
        mutating func readDefinition(_ object: [String: Any], index: Int) throws {
            var levels: [TrafficLightProtocol] = []
            let published = (object["id"] as? String).flatMap { id in STIXTLPDefinitions.level(of: id).map { (id, $0.tlp) } }
            if let published { levels.append(published.1) }
            if (object["definition_type"] as? String)?.lowercased() == "tlp" {
                guard let definition = object["definition"] as? [String: Any], let text = definition["tlp"] as? String else {
                    throw notABundle("marking-definition \(index) of the bundle is of type tlp but has no definition.tlp")
                }
                levels.append(try Self.level(text, index: index))
            }
            if let extensions = object["extensions"] {
                guard let extensions = extensions as? [String: Any] else {
                    throw notABundle("the extensions of marking-definition \(index) of the bundle is not an object")
                }
                if let tlp2 = extensions[STIXTLPDefinitions.tlp2Extension] {
                    guard let tlp2 = tlp2 as? [String: Any], let text = tlp2["tlp_2_0"] as? String else {
                        throw notABundle("marking-definition \(index) of the bundle uses the TLP 2.0 extension but has no tlp_2_0 level")
                    }
                    levels.append(try Self.level(text, index: index))
                }
            }
            if let name = object["name"] as? String, name.uppercased().hasPrefix("TLP:"), let tlp = try? TrafficLightProtocol(parsing: name) {
                levels.append(tlp)
            }
            guard let strictest = levels.max() else { return }
            // The published id is named only when it is what decided the level.
            add(strictest, .markingDefinition, standardID: published?.1 == strictest ? published?.0 : nil)
        }

        private static func level(_ text: String, index: Int) throws -> TrafficLightProtocol {
            do { return try TrafficLightProtocol(parsing: text) } catch {
                // The level read is not repeated: it is the bundle's content.
                throw notABundle("marking-definition \(index) of the bundle states a TLP level that is not clear, white, green, amber, amber+strict or red")
            }
        }
    }
}
