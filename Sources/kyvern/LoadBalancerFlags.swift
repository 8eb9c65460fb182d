import ArgumentParser
import KyvernControllers

/// The built-in service load balancer's flag, shared by `kyvern server` and `kyvern controller-manager`.
struct LoadBalancerFlags: ParsableArguments {
    @Option(name: .customLong("lb-address-pool"),
            help: ArgumentHelp("Addresses for LoadBalancer Services, one each: CIDRs, ranges (a-b) or single IPv4 addresses, comma-separated or repeated. Default: every Service shares the Ready nodes' addresses.",
                               valueName: "addresses"))
    var addressPool: [String] = []

    func validate() throws {
        do {
            _ = try LoadBalancerAddressPool(addressPool)
        } catch {
            throw ValidationError(error.description)
        }
    }

    var pool: LoadBalancerAddressPool { (try? LoadBalancerAddressPool(addressPool)) ?? (try! LoadBalancerAddressPool([])) }
}
