import Testing
@testable import KyvernServer

@Suite struct DashboardClientAddressTests {
    @Test func withoutADashboardPortThePageIsUnderTheAPIAddress() {
        #expect(DashboardClient.address(server: "https://127.0.0.1:6443", dashboardPort: nil) == "https://127.0.0.1:6443/dashboard/")
        #expect(DashboardClient.address(server: "https://10.0.0.5:6443/", dashboardPort: nil) == "https://10.0.0.5:6443/dashboard/")
    }

    @Test func aDashboardPortKeepsTheKubeconfigsHostAndReplacesThePort() {
        #expect(DashboardClient.address(server: "https://127.0.0.1:6443", dashboardPort: 8443) == "https://127.0.0.1:8443/dashboard/")
        #expect(DashboardClient.address(server: "https://kyvern.example:6443/", dashboardPort: 9443) == "https://kyvern.example:9443/dashboard/")
        #expect(DashboardClient.address(server: "https://[::1]:6443", dashboardPort: 8443) == "https://[::1]:8443/dashboard/")
    }
}
