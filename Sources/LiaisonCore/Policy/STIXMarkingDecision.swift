/// What to do when a package's TLP and the TLP its STIX bundle claims differ:
/// they must not contradict each other, and the stricter one wins.
public enum STIXMarkingDecision: Sendable, Hashable {
    /// The package is at least as strict as everything the bundle claims (or the
    /// bundle claims nothing): sealed as the operator marked it.
    case consistent
    /// The bundle is stricter: the package is raised to the bundle's level.
    case raise(from: TrafficLightProtocol, to: TrafficLightProtocol)
    /// The bundle is stricter and the operator asked for strict markings: refused
    /// (``CoreError/Code/policyMarkingConflict``).
    case conflict(package: TrafficLightProtocol, bundle: TrafficLightProtocol)

    /// Decides for a package marked `package` whose bundle claims at most `bundle`
    /// (nil: no TLP marking). With `strict`, a stricter bundle is a refusal
    /// instead of a raise. A package stricter than its bundle is never lowered.
    public static func decide(package: TrafficLightProtocol, bundle: TrafficLightProtocol?, strict: Bool) -> STIXMarkingDecision {
        guard let bundle, bundle > package else { return .consistent }
        return strict ? .conflict(package: package, bundle: bundle) : .raise(from: package, to: bundle)
    }
}
