/// An image reference split the way Falco splits it for `container.image.repository`, `.tag`
/// and `.digest`: `[host[:port]/]path[:tag][@digest]`.
///
/// The repository is the reference without tag and digest, exactly as the runtime wrote it:
/// containerd and CRI-O already report fully qualified names (`docker.io/library/nginx`), and
/// rules list names in that form, so nothing is added here. A `:` belongs to the tag only after
/// the last `/` (`registry:5000/app` has no tag). A reference with neither tag nor digest
/// means `latest`. A bare image id (`sha256:<hex>`) has no repository.
public struct ImageReference: Sendable, Equatable {
    public var repository: String
    public var tag: String
    public var digest: String

    public init(repository: String, tag: String, digest: String) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public init(parsing reference: String) {
        var rest = Substring(reference)
        var digest = ""
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        if Self.isImageID(rest) {
            self.init(repository: "", tag: "", digest: digest.isEmpty ? String(rest) : digest)
            return
        }
        let nameStart = rest.lastIndex(of: "/").map { rest.index(after: $0) } ?? rest.startIndex
        var tag = ""
        if let colon = rest[nameStart...].lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        if tag.isEmpty && digest.isEmpty && !rest.isEmpty { tag = "latest" }
        self.init(repository: String(rest), tag: tag, digest: digest)
    }

    /// `sha256:<64 hex>`: an image id rather than a name.
    static func isImageID(_ s: Substring) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy(\.isHexDigit)
    }
}
