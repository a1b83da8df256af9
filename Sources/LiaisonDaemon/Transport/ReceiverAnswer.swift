import LiaisonWire

/// The receiver's reply to one message of the peer, and what the audit log records
/// of it when that is more than the peer may be told (see ``UndisclosedRefusal``).
struct ReceiverAnswer {
    /// What the peer is sent.
    let reply: SessionMessage
    /// The reason a refusal is audited with; nil: the reply's own reason and detail.
    let auditReason: String?

    /// `reply`, audited as it reads (or with `auditReason` instead).
    init(_ reply: SessionMessage, auditReason: String? = nil) {
        self.reply = reply
        self.auditReason = auditReason
    }
}
