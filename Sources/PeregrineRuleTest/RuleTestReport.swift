import PeregrineRules

/// Renders results: text for people, one JSON object, JUnit XML for CI.
public enum RuleTestReport {
    public struct Totals: Sendable, Equatable {
        public var files = 0
        public var cases = 0
        public var passed = 0
        public var failed = 0
        /// Files with mistakes (their cases did not run).
        public var brokenFiles = 0
        public var ok: Bool { failed == 0 && brokenFiles == 0 }
    }

    public static func totals(_ results: [FileResult]) -> Totals {
        var t = Totals()
        for r in results {
            t.files += 1
            if !r.problems.isEmpty { t.brokenFiles += 1 }
            t.cases += r.cases.count
            t.passed += r.cases.filter(\.passed).count
            t.failed += r.cases.filter { !$0.passed }.count
        }
        return t
    }

    /// One line per case; failed cases show expected vs actual alerts and the reasons.
    public static func text(_ results: [FileResult], verbose: Bool = false) -> String {
        var out = ""
        for r in results {
            out += r.file + "\n"
            for p in r.problems { out += "  " + p.description + "\n" }
            for c in r.cases {
                out += (c.passed ? "  PASS  " : "  FAIL  ") + c.name + "  (line \(c.line))\n"
                guard !c.passed || verbose else { continue }
                if !c.passed {
                    out += "        expected:\n"
                    if c.expected.isEmpty { out += "          (no alerts)\n" }
                    for x in c.expected { out += "          " + x + "\n" }
                }
                out += "        actual:\n"
                if c.alerts.isEmpty { out += "          (no alerts)\n" }
                for a in c.alerts { out += "          \(a.rule) [\(a.priority.name)]: \(a.output)\n" }
                for f in c.failures { out += "        - " + f + "\n" }
            }
        }
        let t = totals(results)
        out += "\(t.cases) cases in \(t.files) files: \(t.passed) passed, \(t.failed) failed"
        if t.brokenFiles > 0 { out += ", \(t.brokenFiles) file\(t.brokenFiles == 1 ? "" : "s") with errors" }
        out += "\n"
        return out
    }

    public static func json(_ results: [FileResult]) -> String {
        let t = totals(results)
        var out = "{\"cases\":\(t.cases),\"passed\":\(t.passed),\"failed\":\(t.failed),\"files_with_errors\":\(t.brokenFiles),\"ok\":\(t.ok),\"files\":["
        out += results.map { r in
            var s = "{\"file\":" + JSONText.string(r.file) + ",\"errors\":["
            s += r.problems.map { p in
                "{\"file\":\(JSONText.string(p.file)),\"line\":\(p.line),\"column\":\(p.column),\"message\":\(JSONText.string(p.message))}"
            }.joined(separator: ",")
            s += "],\"cases\":["
            s += r.cases.map { c in
                var o = "{\"name\":\(JSONText.string(c.name)),\"line\":\(c.line),\"passed\":\(c.passed),\"failures\":["
                o += c.failures.map(JSONText.string).joined(separator: ",")
                o += "],\"expected\":[" + c.expected.map(JSONText.string).joined(separator: ",")
                o += "],\"alerts\":[" + c.alerts.map { a in
                    "{\"rule\":\(JSONText.string(a.rule)),\"priority\":\(JSONText.string(a.priority.name)),\"output\":\(JSONText.string(a.output))}"
                }.joined(separator: ",")
                return o + "]}"
            }.joined(separator: ",")
            return s + "]}"
        }.joined(separator: ",")
        return out + "]}"
    }

    /// JUnit XML: a testsuite per file, a testcase per case; file mistakes are errors.
    public static func junit(_ results: [FileResult]) -> String {
        let t = totals(results)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"peregrine test\" tests=\"\(t.cases + t.brokenFiles)\" failures=\"\(t.failed)\" errors=\"\(t.brokenFiles)\">\n"
        for r in results {
            let failed = r.cases.filter { !$0.passed }.count
            out += "  <testsuite name=\"\(xml(r.file))\" tests=\"\(r.cases.count + (r.problems.isEmpty ? 0 : 1))\" failures=\"\(failed)\" errors=\"\(r.problems.isEmpty ? 0 : 1)\">\n"
            if !r.problems.isEmpty {
                out += "    <testcase name=\"load\" classname=\"\(xml(r.file))\">\n"
                out += "      <error message=\"\(xml(r.problems.first!.description))\">\(xml(r.problems.map(\.description).joined(separator: "\n")))</error>\n"
                out += "    </testcase>\n"
            }
            for c in r.cases {
                out += "    <testcase name=\"\(xml(c.name))\" classname=\"\(xml(r.file))\""
                if c.passed { out += "/>\n"; continue }
                out += ">\n      <failure message=\"\(xml(c.failures.first ?? ""))\">"
                var body = "expected:\n" + (c.expected.isEmpty ? "  (no alerts)\n" : c.expected.map { "  " + $0 + "\n" }.joined())
                body += "actual:\n" + (c.alerts.isEmpty ? "  (no alerts)\n" : c.alerts.map { "  \($0.rule) [\($0.priority.name)]: \($0.output)\n" }.joined())
                body += c.failures.map { "- " + $0 + "\n" }.joined()
                out += xml(body) + "</failure>\n    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    static func xml(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" { out += "&#\(c.value);" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
