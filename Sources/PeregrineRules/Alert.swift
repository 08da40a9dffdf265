/// One alert: a rule matched an event. Renders as Falco's text line and Falco's JSON object.
public struct Alert: Sendable {
    /// Event time, nanoseconds since the Unix epoch (UTC).
    public var time: UInt64
    public var rule: String
    public var priority: Priority
    public var source: String
    public var hostname: String
    /// The rendered output text.
    public var output: String
    /// Each field the output names, with its value (nil when missing).
    public var outputFields: [(String, FieldValue?)]
    public var tags: [String]

    public init(time: UInt64, rule: String, priority: Priority, source: String, hostname: String,
                output: String, outputFields: [(String, FieldValue?)], tags: [String]) {
        self.time = time
        self.rule = rule
        self.priority = priority
        self.source = source
        self.hostname = hostname
        self.output = output
        self.outputFields = outputFields
        self.tags = tags
    }

    /// The alert for `rule` on the event whose fields `fields` supplies.
    public init(rule: CompiledRule, time: UInt64, hostname: String, fields: some FieldValueSource) {
        let format = rule.output ?? OutputFormat(segments: [])
        self.init(time: time, rule: rule.name, priority: rule.priority, source: rule.source, hostname: hostname,
                  output: format.render(fields), outputFields: format.fieldValues(fields), tags: rule.tags)
    }

    /// `2026-01-02T03:04:05.123456789+0000: Critical <output>`, as Falco prints alerts.
    public var textLine: String {
        let t = Timestamp.rfc3339(nanoseconds: time)
        return String(t.dropLast()) + "+0000: " + priority.name + " " + output
    }

    /// One JSON object (no newline) with Falco's keys, in Falco's (alphabetical) order.
    public var jsonLine: String {
        var out = "{\"hostname\":" + JSONText.string(hostname)
        out += ",\"output\":" + JSONText.string(output)
        out += ",\"output_fields\":{"
        let sorted = outputFields.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        out += sorted.map { JSONText.string($0.0) + ":" + JSONText.value($0.1) }.joined(separator: ",")
        out += "},\"priority\":" + JSONText.string(priority.name)
        out += ",\"rule\":" + JSONText.string(rule)
        out += ",\"source\":" + JSONText.string(source)
        out += ",\"tags\":[" + tags.sorted().map(JSONText.string).joined(separator: ",") + "]"
        out += ",\"time\":" + JSONText.string(Timestamp.rfc3339(nanoseconds: time)) + "}"
        return out
    }
}
