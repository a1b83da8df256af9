import Foundation

/// Byte counts for people: "1.5 GiB".
public enum ByteCount {
    /// `bytes` in the largest binary unit that keeps the figure at 1 or more, one decimal.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `bytes` as ``format(_:)-(Int64)`` does (counts past `Int64.max` read as that).
    public static func format(_ bytes: UInt64) -> String { format(Int64(clamping: bytes)) }
}
