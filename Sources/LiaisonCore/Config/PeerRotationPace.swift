/// How often this node takes a partner's key rotation: never while the partner's
/// previous rotation's overlap window is open, and then only once `intervalSeconds`
/// have passed since that window ended (`peer-rotation-interval-seconds`).
///
/// A partner chooses its own overlap, as short as a second, and could otherwise
/// rotate on every session: each rotation taken rewrites the keyring and adds an
/// audit entry and a line of `keys/peer-rotations.txt`. A genuine partner rotates
/// one overlap at a time anyway (its own `keys rotate` refuses a second one while
/// the first overlap is open), and its daemon keeps retrying a refused announcement
/// during the new overlap.
public struct PeerRotationPace: Sendable, Equatable {
    /// Seconds after a rotation's overlap ends before the next one is taken.
    public let intervalSeconds: Int64

    /// A pace of one rotation per overlap plus `intervalSeconds`.
    public init(intervalSeconds: Int64) {
        precondition(intervalSeconds >= 0, "a rotation interval is never negative")
        self.intervalSeconds = intervalSeconds
    }

    /// The first time a new rotation is taken from a partner whose previous rotation's
    /// overlap ended (or ends) at `previousOverlapEnd`; nil if none is on record.
    public func nextRotation(afterOverlapEnding previousOverlapEnd: Int64?) -> Int64? {
        previousOverlapEnd.map { $0.saturatingAdd(intervalSeconds) }
    }

    /// Why a rotation arriving at `now` is refused, for the audit log and the
    /// operator; nil if it may be taken.
    public func refusal(previousOverlapEnd: Int64?, now: Int64) -> String? {
        guard let previousOverlapEnd, let next = nextRotation(afterOverlapEnding: previousOverlapEnd), now < next else { return nil }
        let when = now < previousOverlapEnd
            ? "its previous rotation's overlap is still open (until \(Timestamp.iso8601(previousOverlapEnd)))"
            : "its previous rotation's overlap ended at \(Timestamp.iso8601(previousOverlapEnd))"
        return "\(when); this node takes its next rotation from \(Timestamp.iso8601(next)) "
            + "(peer-rotation-interval-seconds = \(intervalSeconds) after an overlap ends); its daemon retries during the new overlap"
    }
}
