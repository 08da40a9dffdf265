/// What the container runtime reported about one container and its pod: the values of Falco's
/// `container.*` and `k8s.*` fields. Immutable and shared: every process of the container points
/// at the same object through its `ContainerHandle`. Empty strings mean "not reported".
public final class ContainerMetadata: Sendable {
    /// The full id, as parsed from the kernel's cgroup path: the key, never a runtime-supplied name.
    public let fullID: String
    public let name: String
    /// Falco's `container.type`: `containerd`, `cri-o`, or `cri` when the runtime did not say.
    public let type: String
    /// The image reference as the pod spec named it (`container.image`).
    public let image: String
    public let imageID: String
    public let imageRepository: String
    public let imageTag: String
    public let imageDigest: String
    /// From the runtime's verbose info; nil when it did not say.
    public let privileged: Bool?
    public let podName: String
    public let podNamespace: String
    public let podUID: String
    public let sandboxID: String
    public let podLabels: [String: String]
    /// `key:value` for each pod label, sorted by key (`k8s.pod.labels`).
    public let podLabelList: [String]

    public init(fullID: String, name: String = "", type: String = "cri", image: String = "", imageID: String = "",
                imageRepository: String = "", imageTag: String = "", imageDigest: String = "", privileged: Bool? = nil,
                podName: String = "", podNamespace: String = "", podUID: String = "", sandboxID: String = "",
                podLabels: [String: String] = [:]) {
        self.fullID = fullID
        self.name = name
        self.type = type
        self.image = image
        self.imageID = imageID
        self.imageRepository = imageRepository
        self.imageTag = imageTag
        self.imageDigest = imageDigest
        self.privileged = privileged
        self.podName = podName
        self.podNamespace = podNamespace
        self.podUID = podUID
        self.sandboxID = sandboxID
        self.podLabels = podLabels
        self.podLabelList = podLabels.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { $0.key + ":" + $0.value }
    }
}
