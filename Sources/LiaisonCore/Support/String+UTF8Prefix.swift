extension StringProtocol {
    /// The longest prefix of whole characters that fits in `limit` UTF-8 bytes:
    /// where a byte limit applies (a wire field, a thread name, an audit field),
    /// a cut by bytes could end inside a character and leave bytes that are not UTF-8.
    public func prefix(utf8Bytes limit: Int) -> Substring {
        var end = startIndex
        var bytes = 0
        for index in indices {
            bytes += self[index].utf8.count
            guard bytes <= limit else { break }
            end = self.index(after: index)
        }
        return Substring(self[startIndex..<end])
    }
}
