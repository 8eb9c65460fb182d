public import KyvernRuntime
internal import GRPCCore

/// ``ImageService`` over the CRI's ImageService: the runtime keeps its own images (containerd's
/// content store), so a CRI node pulls there and never uses Kyvern's image store.
public struct CRIImageService: ImageService {
    public let connection: CRIConnection

    public init(connection: CRIConnection) {
        self.connection = connection
    }

    public func pullImage(_ reference: String, credentials: [RegistryCredential]) async throws -> String {
        var request = Runtime_V1_PullImageRequest()
        request.image.image = reference
        if let auth = CRIRequests.authConfig(for: reference, credentials: credentials) { request.auth = auth }
        let response = try await connection.call("PullImage", notFound: .imageNotFound(reference)) {
            try await connection.imageService.pullImage(request, options: connection.options(timeout: .seconds(1800)))
        }
        return response.imageRef
    }

    public func imageStatus(_ reference: String) async throws -> ImageInfo? {
        var request = Runtime_V1_ImageStatusRequest()
        request.image.image = reference
        let response = try await connection.call("ImageStatus") {
            try await connection.imageService.imageStatus(request, options: connection.options())
        }
        return response.hasImage ? CRIResponses.image(response.image) : nil
    }

    public func listImages() async throws -> [ImageInfo] {
        let response = try await connection.call("ListImages") {
            try await connection.imageService.listImages(Runtime_V1_ListImagesRequest(), options: connection.options())
        }
        return response.images.map(CRIResponses.image)
    }

    public func removeImage(_ reference: String) async throws {
        var request = Runtime_V1_RemoveImageRequest()
        request.image.image = reference
        try await connection.callIgnoringNotFound("RemoveImage") {
            _ = try await connection.imageService.removeImage(request, options: connection.options())
        }
    }

    /// Bytes and inodes used by the runtime's image filesystems (what the eviction manager watches).
    public func imageFsInfo() async throws -> [FilesystemUsage] {
        let response = try await connection.call("ImageFsInfo") {
            try await connection.imageService.imageFsInfo(Runtime_V1_ImageFsInfoRequest(), options: connection.options())
        }
        return (response.imageFilesystems + response.containerFilesystems).map(CRIResponses.filesystemUsage)
    }
}

