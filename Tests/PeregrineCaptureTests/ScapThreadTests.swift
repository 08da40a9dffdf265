@testable import PeregrineCapture
import Testing

/// A thread keeps argv and cgroups as the capture's NUL-separated bytes; these check that
/// reading them back gives what a list of strings would have.
@Suite struct ScapThreadTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func listsSplitAtEveryNul() {
        #expect(NulSeparated.split(Self.bytes("a\0b\0")) == ["a", "b"])
        #expect(NulSeparated.split(Self.bytes("a\0b")) == ["a", "b"])        // a last entry without its NUL
        #expect(NulSeparated.split(Self.bytes("a\0\0b\0")) == ["a", "", "b"])  // an empty argument
        #expect(NulSeparated.split(Self.bytes("\0")) == [""])
        #expect(NulSeparated.split([]) == [])
        for list in [["x"], ["", ""], ["-c", "echo hi", ""], []] {
            #expect(NulSeparated.split(NulSeparated.join(list)) == list)
            #expect(NulSeparated.count(NulSeparated.join(list)) == list.count)
        }
    }

    @Test func argvPutsTheFirstEntryInFront() {
        let terminated = NulSeparated.prepending("/bin/ls", to: Self.bytes("-la\0/tmp\0"))
        #expect(terminated.list == Self.bytes("/bin/ls\0-la\0/tmp\0") && terminated.count == 3)
        let unterminated = NulSeparated.prepending("/bin/ls", to: Self.bytes("-la"))
        #expect(unterminated.list == Self.bytes("/bin/ls\0-la\0") && unterminated.count == 2)
        let alone = NulSeparated.prepending("/bin/true", to: [])
        #expect(alone.list == Self.bytes("/bin/true\0") && alone.count == 1)
    }

    @Test func threadFieldsReadBackAsStrings() {
        var t = ScapThread(tid: 1, pid: 1, ptid: 0)
        t.args = ["-c", "", "sleep 1"]
        #expect(t.args == ["-c", "", "sleep 1"])
        t.cgroups = ["cpu=/a", "cpuset=/kubepods/pod1/0123456789ab", "memory=/b"]
        #expect(t.cgroupPath == "/kubepods/pod1/0123456789ab")
        t.cgroups = ["cpu=/first", "memory=/second"]
        #expect(t.cgroupPath == "/first")       // no cpuset entry: the first
        t.cgroups = []
        #expect(t.cgroupPath == "")
    }
}
