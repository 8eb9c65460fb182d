import NIOHTTP1

/// The pages the proxy answers itself, worded as nginx's (which upstream's ingress-nginx serves).
enum IngressLocalResponse {
    case notFound, serviceUnavailable, badGateway

    var status: HTTPResponseStatus {
        switch self {
        case .notFound: .notFound
        case .serviceUnavailable: .serviceUnavailable
        case .badGateway: .badGateway
        }
    }

    var title: String {
        switch self {
        case .notFound: "404 Not Found"
        case .serviceUnavailable: "503 Service Temporarily Unavailable"
        case .badGateway: "502 Bad Gateway"
        }
    }

    var body: String {
        "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n"
            + "<hr><center>kyvern</center>\r\n</body>\r\n</html>\r\n"
    }
}
