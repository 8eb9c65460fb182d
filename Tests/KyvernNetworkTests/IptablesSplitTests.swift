import Testing

@testable import KyvernNetwork

@Suite("iptables rule parsing")
struct IptablesSplitTests {
    @Test func quotedCommentsWithEscapedQuotesStayOneWord() {
        let line = #"-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"kyvern\" id: \"abc\"" -m multiport --dports 80 -j CNI-DN-1"#
        #expect(IptablesCleanup.split(line) == ["-A", "CNI-HOSTPORT-DNAT", "-p", "tcp", "-m", "comment", "--comment",
                                                #"dnat name: "kyvern" id: "abc""#, "-m", "multiport", "--dports", "80",
                                                "-j", "CNI-DN-1"])
    }

    @Test func addressesComeWithoutPrefixIPv4First() {
        let result: [String: Any] = ["ips": [["address": "fd00::5/64"], ["address": "10.88.0.5/16", "gateway": "10.88.0.1"]]]
        #expect(CNINetwork.addresses(result) == ["10.88.0.5", "fd00::5"])
    }

    @Test func pluginConfigCarriesPrevResultAndOnlyOfferedCapabilities() {
        let list = NetworkConfigList(name: "kyvern", bridge: "kyvern0", podCIDR: "10.88.0.0/16", ipamDataDirectory: "/d")
        let portmap = list.plugins[1]
        let config = list.pluginConfig(portmap, previousResult: ["cniVersion": "1.0.0"],
                                       runtimeConfig: ["portMappings": [["hostPort": 80]], "bandwidth": [:]])
        #expect(config["name"] as? String == "kyvern")
        #expect(config["cniVersion"] as? String == "1.0.0")
        #expect((config["prevResult"] as? [String: Any])?["cniVersion"] as? String == "1.0.0")
        #expect((config["runtimeConfig"] as? [String: Any])?.keys.sorted() == ["portMappings"])
        #expect(config["capabilities"] == nil)
        let bridge = list.pluginConfig(list.plugins[0], previousResult: nil, runtimeConfig: ["portMappings": []])
        #expect(bridge["runtimeConfig"] == nil && bridge["prevResult"] == nil)
        #expect((bridge["ipam"] as? [String: Any])?["dataDir"] as? String == "/d")
    }
}
