import PeregrineEvents

/// Builds `ContainerMetadata` from CRI messages. Pod identity comes from the sandbox's own
/// metadata (name, namespace, uid), falling back to the kubelet's `io.kubernetes.pod.*`
/// container labels; the kubelet's own `io.kubernetes.*` labels are not pod labels.
enum CRIMetadata {
    static func make(fullID: String, type: String, status: Runtime_V1_ContainerStatus?, info: VerboseInfo?,
                     pod: Runtime_V1_PodSandboxStatus?, sandboxID: String = "") -> ContainerMetadata {
        let labels = status?.labels ?? [:]
        let imageRef = status?.imageRef ?? ""
        var imageName = status?.image.image ?? ""
        if ImageReference.isImageID(Substring(imageName)), !imageRef.isEmpty, !ImageReference.isImageID(Substring(imageRef)) {
            imageName = imageRef
        }
        let reference = ImageReference(parsing: imageName)
        var digest = reference.digest
        if let at = imageRef.firstIndex(of: "@") { digest = String(imageRef[imageRef.index(after: at)...]) }
        var imageID = status?.imageID ?? ""
        if imageID.isEmpty, ImageReference.isImageID(Substring(imageRef)) { imageID = imageRef }
        let podMeta = pod?.metadata
        func pick(_ a: String?, _ label: String) -> String {
            if let a, !a.isEmpty { return a }
            return labels[label] ?? ""
        }
        var podLabels: [String: String] = [:]
        for (k, v) in pod?.labels ?? [:] where !k.hasPrefix("io.kubernetes.") { podLabels[k] = v }
        return ContainerMetadata(
            fullID: fullID,
            name: status?.metadata.name ?? "",
            type: type,
            image: imageName,
            imageID: imageID,
            imageRepository: reference.repository,
            imageTag: reference.tag,
            imageDigest: digest,
            privileged: info?.privileged,
            podName: pick(podMeta?.name, "io.kubernetes.pod.name"),
            podNamespace: pick(podMeta?.namespace, "io.kubernetes.pod.namespace"),
            podUID: pick(podMeta?.uid, "io.kubernetes.pod.uid"),
            sandboxID: sandboxID.isEmpty ? (pod?.id ?? "") : sandboxID,
            podLabels: podLabels
        )
    }
}
