import NIOConcurrencyHelpers

/// The control socket's connection slots: a connection holds one from when it is
/// accepted until it is closed. At most `max-control-connections` are held in all,
/// and at most `max-control-connections-per-user` by one user (uid), so that
/// whoever may open the socket cannot hold every slot and shut the others out.
struct ControlConnectionSlots: Sendable {
    /// Most connections served at once.
    let capacity: Int
    /// Most of them held by one user.
    let perUser: Int

    /// Why a connection got no slot.
    enum Refusal: Equatable {
        /// Every slot is taken.
        case full
        /// The caller's user holds ``perUser`` already.
        case userFull
    }

    private struct Held {
        var total = 0
        /// Slots held per uid; a caller whose credentials could not be read counts as nil.
        var byUser: [UInt32?: Int] = [:]
    }

    private let held = NIOLockedValueBox(Held())

    init(capacity: Int, perUser: Int) {
        self.capacity = capacity
        self.perUser = min(perUser, capacity)
    }

    /// Takes a slot for user `uid`, or says why there is none.
    func claim(uid: UInt32?) -> Refusal? {
        held.withLockedValue { held in
            guard held.total < capacity else { return .full }
            let mine = held.byUser[uid, default: 0]
            guard mine < perUser else { return .userFull }
            held.total += 1
            held.byUser[uid] = mine + 1
            return nil
        }
    }

    /// Gives back a slot taken by ``claim(uid:)`` for the same user.
    func release(uid: UInt32?) {
        held.withLockedValue { held in
            let mine = held.byUser[uid, default: 0]
            precondition(held.total > 0 && mine > 0, "a control connection slot released twice")
            held.total -= 1
            held.byUser[uid] = mine == 1 ? nil : mine - 1
        }
    }
}
