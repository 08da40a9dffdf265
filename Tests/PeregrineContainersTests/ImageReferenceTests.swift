import Testing

@testable import PeregrineContainers

@Suite struct ImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test(arguments: [
        ("docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25", ""),
        ("docker.io/library/nginx", "docker.io/library/nginx", "latest", ""),
        ("nginx", "nginx", "latest", ""),
        ("nginx:alpine", "nginx", "alpine", ""),
        ("nvcr.io/nvidia/pytorch:24.01-py3", "nvcr.io/nvidia/pytorch", "24.01-py3", ""),
        ("registry.local:5000/team/app", "registry.local:5000/team/app", "latest", ""),
        ("registry.local:5000/team/app:v2", "registry.local:5000/team/app", "v2", ""),
        ("localhost/app:dev", "localhost/app", "dev", ""),
        ("quay.io/org/img@\(digest)", "quay.io/org/img", "", digest),
        ("quay.io/org/img:1.0@\(digest)", "quay.io/org/img", "1.0", digest),
        (digest, "", "", digest),
        ("", "", "", ""),
    ])
    func splits(_ input: String, _ repository: String, _ tag: String, _ digest: String) {
        #expect(ImageReference(parsing: input) == ImageReference(repository: repository, tag: tag, digest: digest))
    }
}

@Suite struct VerboseInfoTests {
    @Test func crioPutsPrivilegedAtTheTop() {
        let info = VerboseInfo(json: #"{"sandboxID":"abc","pid":42,"privileged":true}"#)
        #expect(info.privileged == true)
        #expect(info.sandboxID == "abc")
    }

    @Test func containerdKeepsTheCRIConfig() {
        let on = VerboseInfo(json: #"{"sandboxID":"s1","runtimeType":"io.containerd.runc.v2","config":{"linux":{"security_context":{"privileged":true}}}}"#)
        #expect(on.privileged == true)
        #expect(on.runtimeType == "io.containerd.runc.v2")
        // Go leaves out false values: a config without the key is not privileged.
        let off = VerboseInfo(json: #"{"sandboxID":"s1","config":{"linux":{"security_context":{}}}}"#)
        #expect(off.privileged == false)
    }

    @Test(arguments: [nil, "", "not json", "[1,2]", #"{"pid":1}"#])
    func unknownWhenAbsentOrMalformed(_ text: String?) {
        #expect(VerboseInfo(json: text).privileged == nil)
    }
}

@Suite struct RuntimeSocketsTests {
    @Test func hostRootPrefixesEveryPath() {
        #expect(RuntimeSockets.paths(["/run/containerd/containerd.sock"], hostRoot: "/host") == ["/host/run/containerd/containerd.sock"])
        #expect(RuntimeSockets.paths(["/run/crio/crio.sock"], hostRoot: "/host/") == ["/host/run/crio/crio.sock"])
        #expect(RuntimeSockets.paths(RuntimeSockets.defaults, hostRoot: nil) == RuntimeSockets.defaults)
        #expect(RuntimeSockets.defaults.count == 4)
    }

    @Test func typeFromSocket() {
        #expect(RuntimeSockets.containerType(socket: "/run/crio/crio.sock") == "cri-o")
        #expect(RuntimeSockets.containerType(socket: "/run/k3s/containerd/containerd.sock") == "containerd")
        #expect(RuntimeSockets.containerType(socket: "/tmp/x.sock") == "cri")
    }
}

@Suite struct CRIMetadataTests {
    @Test func fromContainerAndSandboxStatus() {
        var status = Runtime_V1_ContainerStatus()
        status.id = String(repeating: "a", count: 64)
        status.metadata.name = "trainer"
        status.image.image = "nvcr.io/nvidia/pytorch:24.01-py3"
        status.imageRef = "nvcr.io/nvidia/pytorch@" + ImageReferenceTests.digest
        status.imageID = "sha256:" + String(repeating: "cd", count: 32)
        status.labels = ["io.kubernetes.pod.name": "from-label", "io.kubernetes.pod.namespace": "label-ns"]
        var pod = Runtime_V1_PodSandboxStatus()
        pod.id = String(repeating: "b", count: 64)
        pod.metadata.name = "train-0"
        pod.metadata.namespace = "ml"
        pod.metadata.uid = "uid-1"
        pod.labels = ["app": "train", "io.kubernetes.pod.name": "train-0"]
        let m = CRIMetadata.make(fullID: status.id, type: "containerd", status: status, info: VerboseInfo(privileged: false), pod: pod, sandboxID: pod.id)
        #expect(m.name == "trainer")
        #expect(m.image == "nvcr.io/nvidia/pytorch:24.01-py3")
        #expect(m.imageRepository == "nvcr.io/nvidia/pytorch")
        #expect(m.imageTag == "24.01-py3")
        #expect(m.imageDigest == ImageReferenceTests.digest)
        #expect(m.imageID == status.imageID)
        #expect(m.privileged == false)
        #expect(m.podName == "train-0")
        #expect(m.podNamespace == "ml")
        #expect(m.podUID == "uid-1")
        #expect(m.sandboxID == pod.id)
        #expect(m.podLabels == ["app": "train"])
        #expect(m.podLabelList == ["app:train"])
    }

    @Test func imageIDFallsBackToTheDigestedReference() {
        var status = Runtime_V1_ContainerStatus()
        status.image.image = "sha256:" + String(repeating: "cd", count: 32)
        status.imageRef = "docker.io/library/busybox@" + ImageReferenceTests.digest
        status.labels = ["io.kubernetes.pod.name": "p", "io.kubernetes.pod.namespace": "n"]
        let m = CRIMetadata.make(fullID: "x", type: "cri", status: status, info: nil, pod: nil)
        #expect(m.imageRepository == "docker.io/library/busybox")
        #expect(m.imageDigest == ImageReferenceTests.digest)
        #expect(m.privileged == nil)
        // Without the sandbox's status, the kubelet's labels name the pod.
        #expect(m.podName == "p")
        #expect(m.podNamespace == "n")
    }
}
