/// `for (number, record) in reader.records() { ... }`: the records of a reader as a plain
/// Sequence. Iteration ends at the end of the file or at the first error; afterwards `error`
/// says which, and `finalReader` holds the reader's state (counters, threads) at that point.
public struct ScapRecordSequence: Sequence {
    /// Shared between the sequence and its iterator, so the outcome can be read after a
    /// `for` loop (which iterates a copy).
    final class Outcome {
        var error: ScapError?
        var finalReader: ScapReader?
    }

    private let start: ScapReader
    private let outcome = Outcome()

    init(_ reader: ScapReader) {
        start = reader
    }

    /// The error that ended the iteration, nil if the file was read to its end.
    public var error: ScapError? { outcome.error }
    /// The reader as the iteration left it (skipped-event counters, thread table).
    public var finalReader: ScapReader? { outcome.finalReader }

    public struct Iterator: IteratorProtocol {
        var reader: ScapReader
        let outcome: Outcome
        var done = false

        public mutating func next() -> (number: UInt64, record: [UInt8])? {
            guard !done else { return nil }
            do {
                if let r = try reader.next() { return (r.number, r.record) }
            } catch let e as ScapError {
                outcome.error = e
            } catch {
                outcome.error = ScapError(file: reader.fileName, offset: 0, code: .malformedBlock, message: "\(error)")
            }
            done = true
            outcome.finalReader = reader
            return nil
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(reader: start, outcome: outcome)
    }
}

extension ScapReader {
    /// The remaining records as a Sequence of `(number, record)` (see `ScapRecordSequence`).
    public func records() -> ScapRecordSequence {
        ScapRecordSequence(self)
    }
}
