import LiaisonCore

/// Left-aligned columns for people, like `wg show` or `ls -l`. Cells may hold what
/// a peer or a file said, so their control characters are shown as `?`.
struct TextTable {
    let headers: [String]

    func render(_ rows: [[String]]) -> String {
        let all = [headers] + rows.map { $0.map(\.printable) }
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

import Foundation
