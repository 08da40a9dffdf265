/// Levenshtein distance over bytes, for suggestions. Long names are not compared (a hostile file
/// could otherwise make suggestions quadratic): they get a distance too large to suggest anything.
enum EditDistance {
    static let longest = 100

    static func between(_ a: String, _ b: String) -> Int {
        if a.utf8.count > longest || b.utf8.count > longest { return Int.max / 2 }
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}
