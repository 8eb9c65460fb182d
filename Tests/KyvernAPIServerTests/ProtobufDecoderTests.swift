import KyvernAPI
@testable import KyvernAPIServer
import Testing

/// A tiny protobuf encoder for building request bodies by hand.
private struct PB {
    var bytes: [UInt8] = []

    init() {}
    init(_ build: (inout PB) -> Void) { build(&self) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
    mutating func tag(_ number: Int, _ wire: Int) { varint(UInt64(number << 3 | wire)) }
    mutating func int(_ number: Int, _ value: Int64) { tag(number, 0); varint(UInt64(bitPattern: value)) }
    mutating func bool(_ number: Int, _ value: Bool) { int(number, value ? 1 : 0) }
    mutating func data(_ number: Int, _ value: [UInt8]) { tag(number, 2); varint(UInt64(value.count)); bytes += value }
    mutating func string(_ number: Int, _ value: String) { data(number, Array(value.utf8)) }
    mutating func message(_ number: Int, _ build: (inout PB) -> Void) { data(number, PB(build).bytes) }
    mutating func entry(_ number: Int, _ key: String, _ value: String) {
        message(number) { $0.string(1, key); $0.string(2, value) }
    }
    mutating func entry(_ number: Int, _ key: String, bytes value: [UInt8]) {
        message(number) { $0.string(1, key); $0.data(2, value) }
    }
    /// A map entry whose value is a `resource.Quantity`.
    mutating func quantity(_ number: Int, _ key: String, _ value: String) {
        message(number) { e in e.string(1, key); e.message(2) { $0.string(1, value) } }
    }

    /// ObjectMeta as gogo writes it for a new object: every value field present, mostly empty.
    mutating func objectMeta(_ number: Int, name: String, namespace: String = "", labels: [(String, String)] = []) {
        message(number) { m in
            m.string(1, name); m.string(2, ""); m.string(3, namespace); m.string(4, ""); m.string(5, "")
            m.string(6, ""); m.int(7, 0); m.message(8) { _ in }
            for (k, v) in labels { m.entry(11, k, v) }
        }
    }
}

private func body(_ apiVersion: String, _ kind: String, _ raw: PB) -> [UInt8] {
    KubernetesProtobuf.magic + PB { u in
        u.message(1) { $0.string(1, apiVersion); $0.string(2, kind) }
        u.data(2, raw.bytes)
        u.string(3, "")
        u.string(4, "")
    }.bytes
}

private func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(text.utf8).makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
    while let h = chars.next(), let l = chars.next() { out.append(nibble(h) << 4 | nibble(l)) }
    return out
}

private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

@Suite("Kubernetes protobuf bodies")
struct ProtobufDecoderTests {
    static let schema: ProtobufSchema = {
        do { return try ProtobufSchema.bundled() } catch { fatalError("protobuf.json: \(error)") }
    }()
    var schema: ProtobufSchema { Self.schema }

    func decode(_ bytes: [UInt8]) throws -> JSONValue { try KubernetesProtobuf.decode(bytes, schema: schema) }

    // MARK: - hand-built objects

    @Test("ConfigMap: strings, maps, empty values left out, apiVersion and kind set")
    func configMap() throws {
        let raw = PB { p in
            p.objectMeta(1, name: "settings", namespace: "default", labels: [("app", "web"), ("tier", "front")])
            p.entry(2, "a", "1")
            p.entry(2, "b", "")
            p.bool(4, false)
        }
        #expect(try decode(body("v1", "ConfigMap", raw)) == json("""
            {"apiVersion":"v1","kind":"ConfigMap",
             "metadata":{"name":"settings","namespace":"default","labels":{"app":"web","tier":"front"}},
             "data":{"a":"1","b":""},"immutable":false}
            """))
    }

    @Test("Ingress as kubectl create ingress sends it: the inline rule value, a port number, an empty status")
    func ingress() throws {
        let raw = PB { p in
            p.objectMeta(1, name: "web", namespace: "default")
            p.message(2) { spec in
                spec.message(3) { rule in
                    rule.string(1, "web.example.com")
                    rule.message(2) { value in
                        value.message(1) { http in
                            http.message(1) { path in
                                path.string(1, "/")
                                path.message(2) { backend in
                                    backend.message(4) { service in
                                        service.string(1, "web")
                                        service.message(2) { port in port.string(1, ""); port.int(2, 80) }
                                    }
                                }
                                path.string(3, "Prefix")
                            }
                        }
                    }
                }
            }
            p.message(3) { status in status.message(1) { _ in } }
        }
        #expect(try decode(body("networking.k8s.io/v1", "Ingress", raw)) == json("""
            {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"default"},
             "spec":{"rules":[{"host":"web.example.com","http":{"paths":[{"path":"/","pathType":"Prefix",
               "backend":{"service":{"name":"web","port":{"number":80}}}}]}}]},
             "status":{"loadBalancer":{}}}
            """))
    }

    @Test("Secret: bytes map values and bytes are base64")
    func secret() throws {
        let raw = PB { p in
            p.objectMeta(1, name: "creds")
            p.entry(2, "password", bytes: Array("s3cr\u{0}t".utf8))
            p.entry(2, "empty", bytes: [])
            p.string(3, "Opaque")
            p.entry(4, "plain", "text")
        }
        #expect(try decode(body("v1", "Secret", raw)) == json("""
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds"},
             "data":{"password":"czNjcgB0","empty":""},"type":"Opaque","stringData":{"plain":"text"}}
            """))
    }

    @Test("Deployment: replicas 0 kept, empty messages kept, omitempty zeros left out")
    func deployment() throws {
        let raw = PB { p in
            p.objectMeta(1, name: "web", labels: [("app", "web")])
            p.message(2) { spec in
                spec.int(1, 0)                                  // replicas (a pointer: 0 is meaningful)
                spec.message(2) { $0.entry(1, "app", "web") }   // selector.matchLabels
                spec.message(3) { t in                          // template
                    t.objectMeta(1, name: "", labels: [("app", "web")])
                    t.message(2) { ps in
                        ps.message(2) { c in c.string(1, "nginx"); c.string(2, "nginx:1.27") }
                        ps.bool(11, false)                      // hostNetwork: omitempty → left out
                    }
                }
                spec.message(4) { _ in }                        // strategy: {}
                spec.int(5, 0)                                  // minReadySeconds: omitempty → left out
                spec.bool(7, false)                             // paused: omitempty → left out
            }
            p.message(3) { s in s.int(1, 0); s.int(2, 0) }
        }
        #expect(try decode(body("apps/v1", "Deployment", raw)) == json("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
             "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},
                                 "spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}},
                     "strategy":{}},
             "status":{}}
            """))
    }

    @Test("Pod: ports, quantities, emptyDir, int-or-string, inline volume source, packed ints")
    func pod() throws {
        let raw = PB { p in
            p.objectMeta(1, name: "p", namespace: "ns")
            p.message(2) { spec in
                spec.message(1) { v in                          // volumes[0]: name + inline VolumeSource
                    v.string(1, "scratch")
                    v.message(2) { src in src.message(2) { ed in ed.string(1, "") } }  // emptyDir: {}
                }
                spec.message(1) { v in
                    v.string(1, "config")
                    v.message(2) { src in src.message(19) { cm in cm.message(1) { $0.string(1, "cfg") } } }
                }
                spec.message(2) { c in
                    c.string(1, "app")
                    c.string(2, "busybox")
                    c.string(3, "sh"); c.string(3, "-c")
                    c.message(6) { port in port.string(1, "http"); port.int(2, 0); port.int(3, 8080); port.string(4, "TCP") }
                    c.message(8) { r in
                        r.quantity(1, "cpu", "500m")
                        r.quantity(1, "memory", "128Mi")
                        r.quantity(2, "cpu", "250m")
                    }
                    c.message(9) { m in m.string(1, "scratch"); m.bool(2, false); m.string(3, "/tmp") }
                    c.message(11) { probe in                     // readinessProbe
                        probe.message(1) { h in h.message(2) { get in
                            get.string(1, "/healthz")
                            get.message(2) { $0.int(1, 0); $0.int(2, 8080); $0.string(3, "") }
                        } }
                        probe.int(2, 0); probe.int(3, 5)
                    }
                    c.message(10) { probe in                     // livenessProbe: tcpSocket with a named port
                        probe.message(1) { h in h.message(3) { tcp in
                            tcp.message(1) { $0.int(1, 1); $0.int(2, 0); $0.string(3, "http") }
                        } }
                    }
                    c.bool(16, false); c.bool(17, false); c.bool(18, false)
                }
                spec.string(3, "Always")
                spec.int(4, 30)                                 // terminationGracePeriodSeconds (pointer)
                spec.message(14) { sc in                        // securityContext
                    sc.tag(4, 2); sc.varint(4); sc.varint(1000); sc.varint(2000)   // packed supplementalGroups
                    sc.int(4, 3000)                                                  // and one unpacked
                }
                spec.bool(11, false)
            }
        }
        #expect(try decode(body("v1", "Pod", raw)) == json("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},
             "spec":{"volumes":[{"name":"scratch","emptyDir":{}},
                                {"name":"config","configMap":{"name":"cfg"}}],
                     "containers":[{"name":"app","image":"busybox","command":["sh","-c"],
                                    "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
                                    "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m"}},
                                    "volumeMounts":[{"name":"scratch","mountPath":"/tmp"}],
                                    "readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"timeoutSeconds":5},
                                    "livenessProbe":{"tcpSocket":{"port":"http"}}}],
                     "restartPolicy":"Always","terminationGracePeriodSeconds":30,
                     "securityContext":{"supplementalGroups":[1000,2000,3000]}}}
            """))
    }

    @Test("Time to the second, a zero Time left out, MicroTime to the microsecond")
    func times() throws {
        let raw = PB { p in
            p.message(1) { m in
                m.string(1, "e1")
                m.message(8) { $0.int(1, 1_795_667_951); $0.int(2, 999_999_999) }  // creationTimestamp
                m.message(9) { _ in }                                              // deletionTimestamp: zero
            }
            p.message(2) { $0.int(1, 1_795_667_951); $0.int(2, 123_456_789) }      // eventTime
            p.string(7, "Scheduled")
        }
        let event = try decode(body("events.k8s.io/v1", "Event", raw))
        #expect(try event == json("""
            {"apiVersion":"events.k8s.io/v1","kind":"Event",
             "metadata":{"name":"e1","creationTimestamp":"2026-11-26T04:39:11Z"},
             "eventTime":"2026-11-26T04:39:11.123456Z","reason":"Scheduled"}
            """))
    }

    @Test("Go duration strings")
    func durations() {
        #expect(GoDuration.format(0) == "0s")
        #expect(GoDuration.format(500_000_000) == "500ms")
        #expect(GoDuration.format(1_500) == "1.5µs")
        #expect(GoDuration.format(42) == "42ns")
        #expect(GoDuration.format(3_723_000_000_000) == "1h2m3s")
        #expect(GoDuration.format(3_600_000_000_000) == "1h0m0s")
        #expect(GoDuration.format(90_000_000_000) == "1m30s")
        #expect(GoDuration.format(1_000_000_001) == "1.000000001s")
        #expect(GoDuration.format(-1_500_000_000) == "-1.5s")
        #expect(GoDuration.format(Int64.min) == "-2562047h47m16.854775808s")
    }

    @Test("RawExtension and FieldsV1 become the JSON they carry")
    func rawJSON() throws {
        let raw = PB { p in
            p.message(1) { m in
                m.string(1, "rev")
                m.message(17) { mf in                           // managedFields[0]
                    mf.string(1, "kubectl"); mf.string(2, "Apply"); mf.string(3, "apps/v1")
                    mf.string(6, "FieldsV1")
                    mf.message(7) { $0.data(1, Array(#"{"f:spec":{}}"#.utf8)) }
                }
            }
            p.message(2) { $0.data(1, Array(#"{"spec":{"replicas":2}}"#.utf8)) }
            p.int(3, 4)
        }
        #expect(try decode(body("apps/v1", "ControllerRevision", raw)) == json("""
            {"apiVersion":"apps/v1","kind":"ControllerRevision",
             "metadata":{"name":"rev","managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1",
                                                        "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},
             "data":{"spec":{"replicas":2}},"revision":4}
            """))
    }

    @Test("unknown fields of every wire type are skipped")
    func unknownFields() throws {
        let raw = PB { p in
            p.objectMeta(1, name: "x")
            p.int(90, 7)                                     // varint
            p.tag(91, 1); p.bytes += [1, 2, 3, 4, 5, 6, 7, 8] // fixed64
            p.string(92, "ignored")                          // length-delimited
            p.tag(93, 5); p.bytes += [1, 2, 3, 4]            // fixed32
            p.tag(94, 3); p.int(1, 1); p.tag(94, 4)          // group
            p.entry(2, "k", "v")
        }
        #expect(try decode(body("v1", "ConfigMap", raw)) == json("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"v"}}
            """))
    }

    // MARK: - errors

    @Test("refuses what is not a Kubernetes protobuf body")
    func refusals() throws {
        func message(_ bytes: [UInt8]) -> String? {
            do {
                _ = try decode(bytes)
                return nil
            } catch let error as APIError {
                #expect(error.code == 400)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(Array("{\"kind\":\"ConfigMap\"}".utf8))?.contains("expected prefix [107 56 115 0]") == true)
        #expect(message([]) != nil)
        #expect(message(KubernetesProtobuf.magic + [0x0A, 0x05, 0x0A]) == "unable to decode protobuf: unexpected EOF")
        #expect(message(body("", "", PB())) == "Object 'Kind' is missing in the protobuf body")
        #expect(message(body("v1", "Gadget", PB())) == "no kind \"Gadget\" is registered for version \"v1\"")
        #expect(message(body("v1", "ConfigMap", PB { $0.int(1, 5) }))
                == "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: unable to decode protobuf: proto: wrong wireType = 0 for field metadata")
        #expect(message(body("v1", "ConfigMap", PB { $0.bytes = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] }))?
                    .hasSuffix("proto: negative length found during unmarshaling") == true)
        #expect(message(body("v1", "ConfigMap", PB { $0.bytes = [0x0A, 0x7F, 0x01] }))?.hasSuffix("unexpected EOF") == true)
        #expect(message(body("v1", "ConfigMap", PB { $0.bytes = [0x20] + Array(repeating: 0xFF, count: 11) }))?
                    .hasSuffix("proto: integer overflow") == true)
        #expect(message(body("v1", "ConfigMap", PB { $0.bytes = [0x00, 0x00] }))?.contains("illegal tag 0") == true)
        #expect(message(body("v1", "Service", PB { p in
            p.message(2) { $0.message(1) { port in port.message(4) { $0.int(1, 7) } } }
        }))?.hasSuffix("impossible IntOrString.Type") == true)
        #expect(message(body("apps/v1", "ControllerRevision", PB { p in
            p.message(2) { $0.data(1, Array("not json".utf8)) }
        }))?.contains("RawExtension is not JSON") == true)
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depthLimit() throws {
        let recursive = try ProtobufSchema(json: json("""
            {"$kinds":{"v1/Node":"t.Node"},"t.Node":{"1":{"name":"child","type":"message","ref":"t.Node"}}}
            """))
        var inner: [UInt8] = []
        for _ in 0..<(KubernetesProtobuf.maxDepth + 5) {
            var outer = PB()
            outer.data(1, inner)
            inner = outer.bytes
        }
        #expect(throws: APIError.self) {
            _ = try KubernetesProtobuf.decode(body("v1", "Node", PB { $0.bytes = inner }), schema: recursive)
        }
        // Within the limit it decodes.
        var shallow: [UInt8] = []
        for _ in 0..<10 {
            var outer = PB()
            outer.data(1, shallow)
            shallow = outer.bytes
        }
        #expect(try KubernetesProtobuf.decode(body("v1", "Node", PB { $0.bytes = shallow }), schema: recursive)["child"]?["child"] != nil)
    }

    @Test("mutated and truncated bodies never trap")
    func hostileInput() {
        var generator = SystemRandomNumberGenerator()
        for fixture in Self.kubectlBodies.map({ hex($0.hex) }) {
            for cut in stride(from: 0, to: fixture.count, by: 3) {
                _ = try? decode(Array(fixture[..<cut]))
            }
            for _ in 0..<300 {
                var bytes = fixture
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let i = Int.random(in: 4..<bytes.count, using: &generator)
                    bytes[i] = UInt8.random(in: 0...255, using: &generator)
                }
                _ = try? decode(bytes)
            }
        }
    }

    // MARK: - real kubectl 1.37 bodies

    /// Bodies kubectl 1.37.1 sent (`kubectl create ...` against a recording server), and the JSON
    /// `kubectl create ... --dry-run=client -o json` prints for the same command: what Go's
    /// JSON encoding of the same object is.
    static let kubectlBodies: [(command: String, hex: String, json: String)] = [
        ("create configmap x --from-literal=a=b",
         "6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a017812001a0022002a0032003800420012060a01611201621a002200",
         #"{"apiVersion":"v1","data":{"a":"b"},"kind":"ConfigMap","metadata":{"name":"x"}}"#),
        ("create secret generic s --from-literal=k=v",
         "6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a016b1201761a001a002200",
         #"{"apiVersion":"v1","data":{"k":"dg=="},"kind":"Secret","metadata":{"name":"s"}}"#),
        ("create deployment d --image=nginx --replicas=0 --port=80",
         "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b0010a1b0a016412001a0022002a003200380042005a080a036170701201641282010800120a0a080a036170701201641a6a0a1a0a0012001a0022002a003200380042005a080a03617070120164124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200",
         #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"d"},"name":"d"},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"d"}},"strategy":{},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"image":"nginx","name":"nginx","ports":[{"containerPort":80}],"resources":{}}]}}},"status":{}}"#),
        ("create namespace n",
         "6b3873000a0f0a02763112094e616d65737061636512190a110a016e12001a0022002a0032003800420012001a020a001a002200",
         #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"},"spec":{},"status":{}}"#),
        ("create job j --image=busybox -- echo hi",
         "6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a00320038004200126332610a100a0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a0268692a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200",
         #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"command":["echo","hi"],"image":"busybox","name":"j","resources":{}}],"restartPolicy":"Never"}}},"status":{}}"#),
        ("create service clusterip svc --tcp=80:8080",
         "6b3873000a0d0a02763112075365727669636512690a1f0a0373766312001a0022002a003200380042005a0a0a03617070120373766312420a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037376631a002209436c757374657249503a00420052005a00600068001a020a001a002200",
         #"{"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"svc"},"name":"svc"},"spec":{"ports":[{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#),
        ("create cronjob cj --image=busybox --schedule='*/1 * * * *'",
         "6b3873000a130a0862617463682f7631120743726f6e4a6f62129e010a120a02636a12001a0022002a003200380042001285010a0b2a2f31202a202a202a202a1a002a740a120a02636a12001a0022002a00320038004200125e325c0a100a0012001a0022002a00320038004200124812210a02636a120762757379626f782a0042006a007200800100880100900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200",
         #"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"cj"},"spec":{"jobTemplate":{"metadata":{"name":"cj"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"image":"busybox","name":"cj","resources":{}}],"restartPolicy":"OnFailure"}}}},"schedule":"*/1 * * * *"},"status":{}}"#),
        ("create priorityclass pc --value=1000",
         "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312310a120a02706312001a0022002a0032003800420010e807180022002a14507265656d70744c6f7765725072696f726974791a002200",
         #"{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"pc"},"preemptionPolicy":"PreemptLowerPriority","value":1000}"#),
        ("create poddisruptionbudget pdb --selector=app=x --min-available=50%",
         "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123a0a130a0370646212001a0022002a0032003800420012170a09080110001a03353025120a0a080a036170701201781a0a080018002000280030001a002200",
         #"{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"pdb"},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"x"}}},"status":{"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,"expectedPods":0}}"#),
        ("create quota q --hard=cpu=1,memory=1G,pods=2,requests.storage=10Gi --scopes=BestEffort",
         "6b3873000a130a027631120d5265736f7572636551756f746112680a110a017112001a0022002a0032003800420012510a0a0a0363707512030a01310a0e0a066d656d6f727912040a0231470a0b0a04706f647312030a01320a1a0a1072657175657374732e73746f7261676512060a0431304769120a426573744566666f72741a001a002200",
         #"{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"cpu":"1","memory":"1G","pods":"2","requests.storage":"10Gi"},"scopes":["BestEffort"]},"status":{}}"#),
        ("create configmap bin --from-file=data=bin.dat --from-literal=x=y   (bin.dat = 00 01 fe ff 'bin')",
         "6b3873000a0f0a0276311209436f6e6669674d6170122e0a130a0362696e12001a0022002a0032003800420012060a01781201791a0f0a046461746112070001feff62696e1a002200",
         #"{"apiVersion":"v1","binaryData":{"data":"AAH+/2Jpbg=="},"data":{"x":"y"},"kind":"ConfigMap","metadata":{"name":"bin"}}"#),
        ("create serviceaccount sa",
         "6b3873000a140a027631120e536572766963654163636f756e7412140a120a02736112001a0022002a003200380042001a002200",
         #"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa"}}"#),
        ("create service nodeport np --tcp=8080:80 --node-port=30080",
         "6b3873000a0d0a02763112075365727669636512670a1d0a026e7012001a0022002a003200380042005a090a0361707012026e7012420a1d0a07383038302d3830120354435018903f2206080010501a002880eb0112090a0361707012026e701a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200",
         #"{"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"np"},"name":"np"},"spec":{"ports":[{"name":"8080-80","nodePort":30080,"port":8080,"protocol":"TCP","targetPort":80}],"selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}}"#),
        ("create deployment multi --image=nginx --image=redis:7 --port=6379",
         "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412e8010a230a056d756c746912001a0022002a003200380042005a0c0a0361707012056d756c746912b2010801120e0a0c0a0361707012056d756c74691a95010a1e0a0012001a0022002a003200380042005a0c0a0361707012056d756c74691273122f0a056e67696e7812056e67696e782a00320b0a00100018eb3122002a0042006a007200800100880100900100a2010012240a057265646973120772656469733a372a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200",
         #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"multi"},"name":"multi"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"multi"}},"strategy":{},"template":{"metadata":{"labels":{"app":"multi"}},"spec":{"containers":[{"image":"nginx","name":"nginx","ports":[{"containerPort":6379}],"resources":{}},{"image":"redis:7","name":"redis","resources":{}}]}}},"status":{}}"#),
        ("create secret docker-registry reg --docker-server=r.example --docker-username=u --docker-password=p",
         "6b3873000a0c0a02763112065365637265741291010a130a0372656712001a0022002a00320038004200125a0a112e646f636b6572636f6e6669676a736f6e12457b226175746873223a7b22722e6578616d706c65223a7b22757365726e616d65223a2275222c2270617373776f7264223a2270222c2261757468223a2264547077227d7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a736f6e1a002200",
         #"{"apiVersion":"v1","data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmV4YW1wbGUiOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19"},"kind":"Secret","metadata":{"name":"reg"},"type":"kubernetes.io/dockerconfigjson"}"#),
        ("create service externalname ext --external-name=example.com",
         "6b3873000a0d0a027631120753657276696365125a0a1f0a0365787412001a0022002a003200380042005a0a0a0361707012036578741233120a0a0361707012036578741a00220c45787465726e616c4e616d653a004200520b6578616d706c652e636f6d5a00600068001a020a001a002200",
         #"{"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"ext"},"name":"ext"},"spec":{"externalName":"example.com","selector":{"app":"ext"},"type":"ExternalName"},"status":{"loadBalancer":{}}}"#),
        ("create priorityclass pc2 --value=5 --global-default=true --description='hi there' --preemption-policy=Never",
         "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c617373122a0a130a0370633212001a0022002a0032003800420010051801220868692074686572652a054e657665721a002200",
         #"{"apiVersion":"scheduling.k8s.io/v1","description":"hi there","globalDefault":true,"kind":"PriorityClass","metadata":{"name":"pc2"},"preemptionPolicy":"Never","value":5}"#),
    ]

    @Test("kubectl 1.37 bodies decode to the JSON Go would have sent", arguments: ProtobufDecoderTests.kubectlBodies.indices)
    func kubectlBody(_ index: Int) throws {
        let fixture = Self.kubectlBodies[index]
        #expect(try decode(hex(fixture.hex)) == json(fixture.json), "kubectl \(fixture.command)")
    }
}

@Suite("BodyDecoder with protobuf")
struct BodyDecoderProtobufTests {
    @Test("a protobuf content type decodes through the bundled schema")
    func bodyDecoder() throws {
        let fixture = ProtobufDecoderTests.kubectlBodies[0]
        let value = try BodyDecoder.decode(hex(fixture.hex), contentType: "application/vnd.kubernetes.protobuf", what: "ConfigMap")
        #expect(try value == json(fixture.json))
    }
}
