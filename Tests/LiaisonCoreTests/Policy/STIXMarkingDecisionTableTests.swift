import LiaisonCore
import Testing

/// The STIX marking decision as a table: package TLP × the bundle's strictest TLP ×
/// strict markings → consistent, raised, or a conflict. The stricter one wins.
@Suite("STIX marking decision table")
struct STIXMarkingDecisionTableTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let package: TrafficLightProtocol
        let bundle: TrafficLightProtocol?
        let strict: Bool
        let expected: STIXMarkingDecision
        var testDescription: String {
            "package \(package) · bundle \(bundle.map(\.description) ?? "unmarked")\(strict ? " · strict" : "") ⇒ \(expected)"
        }
    }

    static let rows: [Row] = [
        // A bundle without TLP markings is consistent with anything.
        Row(package: .clear, bundle: nil, strict: false, expected: .consistent),
        Row(package: .green, bundle: nil, strict: true, expected: .consistent),
        Row(package: .red, bundle: nil, strict: false, expected: .consistent),
        // The same level on both sides.
        Row(package: .clear, bundle: .clear, strict: false, expected: .consistent),
        Row(package: .amber, bundle: .amber, strict: true, expected: .consistent),
        Row(package: .amberStrict, bundle: .amberStrict, strict: false, expected: .consistent),
        // The package is stricter: it wins, and is never lowered.
        Row(package: .amber, bundle: .green, strict: false, expected: .consistent),
        Row(package: .red, bundle: .clear, strict: true, expected: .consistent),
        Row(package: .amberStrict, bundle: .amber, strict: true, expected: .consistent),
        Row(package: .red, bundle: .amberStrict, strict: false, expected: .consistent),
        // The bundle is stricter: the package is raised to it…
        Row(package: .clear, bundle: .green, strict: false, expected: .raise(from: .clear, to: .green)),
        Row(package: .green, bundle: .amber, strict: false, expected: .raise(from: .green, to: .amber)),
        Row(package: .amber, bundle: .amberStrict, strict: false, expected: .raise(from: .amber, to: .amberStrict)),
        Row(package: .amberStrict, bundle: .red, strict: false, expected: .raise(from: .amberStrict, to: .red)),
        Row(package: .clear, bundle: .red, strict: false, expected: .raise(from: .clear, to: .red)),
        // …or, with strict markings, the send is refused.
        Row(package: .green, bundle: .amber, strict: true, expected: .conflict(package: .green, bundle: .amber)),
        Row(package: .amber, bundle: .amberStrict, strict: true, expected: .conflict(package: .amber, bundle: .amberStrict)),
        Row(package: .clear, bundle: .red, strict: true, expected: .conflict(package: .clear, bundle: .red)),
        Row(package: .amberStrict, bundle: .red, strict: true, expected: .conflict(package: .amberStrict, bundle: .red)),
    ]

    @Test("each row decides as expected", arguments: rows)
    func row(_ row: Row) {
        #expect(STIXMarkingDecision.decide(package: row.package, bundle: row.bundle, strict: row.strict) == row.expected)
    }

    @Test("the table has at least 12 rows and every kind of outcome")
    func coverage() {
        #expect(Self.rows.count >= 12)
        #expect(Self.rows.contains { $0.expected == .consistent })
        #expect(Self.rows.contains { if case .raise = $0.expected { true } else { false } })
        #expect(Self.rows.contains { if case .conflict = $0.expected { true } else { false } })
    }

    @Test("over every combination the result is never less strict than either side, and strict never raises")
    func everyCombination() {
        for package in TrafficLightProtocol.allCases {
            for bundle in [nil] + TrafficLightProtocol.allCases.map(Optional.some) {
                for strict in [false, true] {
                    switch STIXMarkingDecision.decide(package: package, bundle: bundle, strict: strict) {
                    case .consistent:
                        #expect(bundle.map { $0 <= package } ?? true)
                    case .raise(let from, let to):
                        #expect(!strict && from == package && to == bundle && to > from)
                    case .conflict(let p, let b):
                        #expect(strict && p == package && b == bundle && b > p)
                    }
                }
            }
        }
    }
}
