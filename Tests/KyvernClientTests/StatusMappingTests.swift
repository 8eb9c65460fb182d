import KyvernAPI
import Testing
@testable import KyvernClient

@Suite struct StatusMappingTests {
    @Test func statusBodyRoundTripsTheServersError() {
        let sent = APIError.invalid(group: "apps", kind: "Deployment", name: "d",
                                    causes: [.required("spec.selector"), .invalid("spec.replicas", .int(-1), "must be greater than or equal to 0")])
        let got = StatusMapping.error(httpCode: 422, body: sent.status.serialized())
        #expect(got == sent)
        let notFound = APIError.notFound(group: "", resource: "pods", name: "x")
        let gotNotFound = StatusMapping.error(httpCode: 404, body: notFound.status.serialized())
        // The wire omits the core group's "", so compare what the server would send.
        #expect(gotNotFound.status == notFound.status)
        #expect(gotNotFound.details?.name == "x" && gotNotFound.details?.kind == "pods")
    }

    @Test func nonStatusBodiesFallBackToTheHTTPCode() {
        #expect(StatusMapping.error(httpCode: 503, body: Array("upstream connect error\n".utf8))
            == APIError(code: 503, reason: "ServiceUnavailable", message: "upstream connect error"))
        #expect(StatusMapping.error(httpCode: 403, body: [])
            == APIError(code: 403, reason: "Forbidden",
                        message: "the server responded with the status code 403 but did not return more information"))
        #expect(StatusMapping.error(httpCode: 418, body: Array("{\"kind\":\"Pod\"}".utf8)).reason == "Unknown")
    }

    @Test func statusWithoutCodeOrReasonTakesThemFromHTTP() {
        let body: JSONValue = ["kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "slow down"]
        let got = StatusMapping.error(httpCode: 429, body: body.serialized())
        #expect(got == APIError(code: 429, reason: "TooManyRequests", message: "slow down"))
    }

    @Test func throttleDelayPrefersHeaderThenStatus() {
        let withRetry = APIError(code: 429, reason: "TooManyRequests", message: "",
                                 details: .init(retryAfterSeconds: 3))
        #expect(APIClient.retryDelay(header: "2", error: withRetry) == 2)
        #expect(APIClient.retryDelay(header: nil, error: withRetry) == 3)
        #expect(APIClient.retryDelay(header: "soon", error: APIError(code: 429, reason: "", message: "")) == 1)
        #expect(APIClient.retryDelay(header: "3600", error: withRetry) == 10)
    }
}
