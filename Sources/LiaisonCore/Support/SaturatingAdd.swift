extension FixedWidthInteger {
    /// `self + other`, or the type's largest value where that would overflow (and
    /// its smallest where it would go below): no sum of sizes a peer or a file can
    /// make up may trap.
    public func saturatingAdd(_ other: Self) -> Self {
        let (sum, overflowed) = addingReportingOverflow(other)
        guard overflowed else { return sum }
        return other > 0 ? .max : .min
    }
}
