/// The source a responder's per-source limits count a connection against: an IPv4
/// address, or an IPv6 /64 (one host usually holds a whole /64, so counting its
/// addresses apart would give it as many sources as it likes). An IPv4-mapped IPv6
/// address counts as its IPv4 address.
public enum SourceAddress {
    /// The source of a connection from the address in `bytes` (4 for IPv4, 16 for
    /// IPv6, network order); nil for any other length.
    public static func key(_ bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
            if Array(bytes[0..<12]) == mappedPrefix { return key(Array(bytes[12...])) }
            let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        default:
            return nil
        }
    }
}
