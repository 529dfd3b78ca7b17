import XCTest
@testable import MobileNet

final class AvailableCPUsTests: XCTestCase {
    func testCPUMax() {
        XCTAssertNil(AvailableCPUs.parseCPUMax("max 100000\n"))
        XCTAssertNil(AvailableCPUs.parseCPUMax("max 100000"))
        XCTAssertEqual(AvailableCPUs.parseCPUMax("150000 100000\n"), 2)   // 1.5 rounds up
        XCTAssertEqual(AvailableCPUs.parseCPUMax("100000 100000\n"), 1)
        XCTAssertEqual(AvailableCPUs.parseCPUMax("400000 100000\n"), 4)
        XCTAssertEqual(AvailableCPUs.parseCPUMax("1000 100000\n"), 1)     // 0.01 CPU: at least 1
        for garbage in ["", "\n", "max", "150000", "150000  100000", "-1 100000", "150000 0", "0 100000",
                        "1.5 1", "150000 100000 7", "0150000 100000", "+150000 100000", "abc def",
                        "99999999999999999999 100000", "150000 100000\n\n", " 150000 100000"] {
            XCTAssertNil(AvailableCPUs.parseCPUMax(garbage), garbage.debugDescription)
        }
    }

    func testCFS() {
        XCTAssertNil(AvailableCPUs.parseCFS(quota: "-1\n", period: "100000\n"))
        XCTAssertEqual(AvailableCPUs.parseCFS(quota: "250000\n", period: "100000\n"), 3)
        XCTAssertEqual(AvailableCPUs.parseCFS(quota: "50000", period: "100000"), 1)
        XCTAssertNil(AvailableCPUs.parseCFS(quota: "50000", period: "0"))
        XCTAssertNil(AvailableCPUs.parseCFS(quota: "x", period: "100000"))
        XCTAssertNil(AvailableCPUs.parseCFS(quota: "-2", period: "100000"))
    }

    func testCgroupMembership() {
        let v1 = "9:name=systemd:/\n4:memory:/x\n2:cpuacct:/\n1:cpu,cpuacct:/docker/abc\n0::/\n"
        let parsed = AvailableCPUs.parseCgroupMembership(v1)
        XCTAssertEqual(parsed.v1CPU, "/docker/abc")
        XCTAssertEqual(parsed.v2, "/")
        let v2 = AvailableCPUs.parseCgroupMembership("0::/user.slice/session-1.scope\n")
        XCTAssertEqual(v2.v2, "/user.slice/session-1.scope")
        XCTAssertNil(v2.v1CPU)
        let junk = AvailableCPUs.parseCgroupMembership("garbage\n::\n1:cpu:relative\n")
        XCTAssertNil(junk.v2)
        XCTAssertNil(junk.v1CPU)
    }

    func testAncestors() {
        XCTAssertEqual(AvailableCPUs.ancestors(of: "/a/b", under: "/sys/fs/cgroup"),
                       ["/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a", "/sys/fs/cgroup"])
        XCTAssertEqual(AvailableCPUs.ancestors(of: "/", under: "/m"), ["/m"])
        XCTAssertEqual(AvailableCPUs.ancestors(of: "/../etc", under: "/m"), ["/m"])
    }

    /// The default thread count never exceeds the affinity mask: under
    /// `taskset -c 0` (tests/c/run.sh runs test_default_threads so) it is 1.
    func testCountIsWithinAffinityAndOnline() {
        let count = AvailableCPUs.count()
        XCTAssertGreaterThanOrEqual(count, 1)
        if let affinity = AvailableCPUs.affinityCount() { XCTAssertLessThanOrEqual(count, affinity) }
        XCTAssertLessThanOrEqual(count, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        XCTAssertEqual(ThreadPool.onlineCores, count)
    }
}
