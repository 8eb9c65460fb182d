import KyvernStoreEtcd
import Testing

@Suite("etcd endpoints")
struct EtcdConfigurationTests {
    @Test func parsesSchemesHostsAndPorts() throws {
        let endpoints = try EtcdConfiguration.parseEndpoints("https://h1:2379, http://10.0.0.2:12379,https://[::1]:2380,http://etcd")
        #expect(endpoints == [
            .init(host: "h1", port: 2379, secure: true),
            .init(host: "10.0.0.2", port: 12379, secure: false),
            .init(host: "::1", port: 2380, secure: true),
            .init(host: "etcd", port: 2379, secure: false),
        ])
        #expect(endpoints.map(\.description) == ["https://h1:2379", "http://10.0.0.2:12379", "https://[::1]:2380", "http://etcd:2379"])
    }

    @Test(arguments: ["", "h1:2379", "ftp://h1", "http://:2379", "http://h1:0", "http://h1:99999", "http://h1:x", "https://[::1"])
    func refusesWhatIsNotAnEndpoint(_ text: String) {
        #expect(throws: EtcdConfigurationError.self) { try EtcdConfiguration.parseEndpoints(text) }
    }
}
