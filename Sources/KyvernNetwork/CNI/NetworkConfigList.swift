import Foundation

/// The node's pod network as a CNI network configuration list: a `bridge` with host-local
/// IPAM on the node's pod CIDR, gateway and masquerade on the host, and `portmap` chained for
/// hostPorts. Loopback is a network of its own, as kubelet runtimes configure it.
struct NetworkConfigList: Sendable {
    static let cniVersion = "1.0.0"

    var name: String
    var bridge: String
    var podCIDR: String
    /// host-local's store of leased addresses (one file per IP, named by it).
    var ipamDataDirectory: String

    /// The plugins in order; `capabilities` says which runtimeConfig keys each accepts.
    var plugins: [[String: Any]] {
        [
            ["type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
             "ipam": ["type": "host-local", "ranges": [[["subnet": podCIDR]]],
                      "routes": [["dst": "0.0.0.0/0"]], "dataDir": ipamDataDirectory] as [String: Any]],
            ["type": "portmap", "capabilities": ["portMappings": true], "snat": true],
        ]
    }

    /// The whole list, as written to the config directory for operators and other tools.
    var document: [String: Any] {
        ["cniVersion": Self.cniVersion, "name": name, "plugins": plugins]
    }

    /// The loopback network every sandbox also gets.
    var loopback: [String: Any] {
        ["cniVersion": Self.cniVersion, "name": name + "-loopback", "type": "loopback"]
    }

    /// What one plugin of the list receives on stdin: its own config with the list's name and
    /// version, the previous plugin's result, and the runtime's values for its capabilities.
    func pluginConfig(_ plugin: [String: Any], previousResult: [String: Any]?,
                      runtimeConfig: [String: Any]) -> [String: Any] {
        var config = plugin
        config["name"] = name
        config["cniVersion"] = Self.cniVersion
        if let previousResult { config["prevResult"] = previousResult }
        let capabilities = plugin["capabilities"] as? [String: Bool] ?? [:]
        let offered = runtimeConfig.filter { capabilities[$0.key] == true }
        if !offered.isEmpty { config["runtimeConfig"] = offered }
        config["capabilities"] = nil
        return config
    }

    /// Writes the list to `<directory>/10-<name>.conflist` (atomically; unchanged files stay).
    func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
        let path = "\(directory)/10-\(name).conflist"
        if FileManager.default.contents(atPath: path) == data { return }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
