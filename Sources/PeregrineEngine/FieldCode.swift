import PeregrineRules

/// The fields the engine can answer, resolved from their names once when rules are
/// compiled, so that extracting a value per event is a switch on a small integer rather than
/// string comparisons.
enum FieldCode: UInt8, Sendable {
    case evtNum, evtTime, evtType, evtDir, evtSource, evtHostname, evtCategory
    case evtRes, evtRawRes, evtFailed, evtIsOpenRead, evtIsOpenWrite, evtIsOpenCreate, evtIsOpenExec, evtArg
    case procPid, procVpid, procName, procExe, procExePath, procArgs, procCmdline, procCmdNArgs, procCmdLenArgs
    case procExeline, procCwd, procTTY, procSid, procIsSidLeader, procPidTs
    case threadTid, threadIsMain
    case userUid, userName, userLoginUid, userLoginName, groupGid, groupName
    case containerID, containerFullID
    // Container and pod metadata (the container layer's handle on the process entry, else
    // `EngineContext.extraField`).
    case containerName, containerType, containerImage, containerImageID, containerImageRepository
    case containerImageTag, containerImageDigest, containerPrivileged
    case k8sNsName, k8sPodName, k8sPodUID, k8sPodLabels, k8sPodLabel, k8sPodSandboxID, k8sPodFullSandboxID
    case fdNum, fdName, fdNameRaw, fdDirectory, fdFilename, fdTypeChar, fdType, fdIno, fdDev
    // Parent and ancestor fields (answered from the process table).
    case procPpid, procPname, procPexe, procPexePath, procPcmdline
    case procAname, procAexe, procAexePath, procAcmdline, procApid
    /// Answered by another layer (`EngineContext.extraField`), or missing.
    case external

    static let byName: [String: FieldCode] = [
        "evt.num": .evtNum, "evt.time": .evtTime, "evt.rawtime": .evtTime, "evt.type": .evtType, "syscall.type": .evtType,
        "evt.dir": .evtDir, "evt.source": .evtSource, "evt.hostname": .evtHostname, "evt.category": .evtCategory,
        "evt.res": .evtRes, "evt.rawres": .evtRawRes, "evt.failed": .evtFailed,
        "evt.is_open_read": .evtIsOpenRead, "evt.is_open_write": .evtIsOpenWrite,
        "evt.is_open_create": .evtIsOpenCreate, "evt.is_open_exec": .evtIsOpenExec,
        "evt.arg": .evtArg, "evt.rawarg": .evtArg,
        "proc.pid": .procPid, "proc.vpid": .procVpid, "proc.name": .procName, "proc.exe": .procExe,
        "proc.exepath": .procExePath, "proc.args": .procArgs, "proc.cmdline": .procCmdline,
        "proc.cmdnargs": .procCmdNArgs, "proc.cmdlenargs": .procCmdLenArgs, "proc.exeline": .procExeline,
        "proc.cwd": .procCwd, "proc.tty": .procTTY, "proc.sid": .procSid, "proc.is_sid_leader": .procIsSidLeader,
        "proc.pid.ts": .procPidTs, "thread.tid": .threadTid, "thread.ismain": .threadIsMain,
        "user.uid": .userUid, "user.name": .userName, "user.loginuid": .userLoginUid, "user.loginname": .userLoginName,
        "group.gid": .groupGid, "group.name": .groupName,
        "container.id": .containerID, "container.full_id": .containerFullID,
        "container.name": .containerName, "container.type": .containerType, "container.image": .containerImage,
        "container.image.id": .containerImageID, "container.image.repository": .containerImageRepository,
        "container.image.tag": .containerImageTag, "container.image.digest": .containerImageDigest,
        "container.privileged": .containerPrivileged,
        "k8s.ns.name": .k8sNsName, "k8s.pod.name": .k8sPodName, "k8s.pod.uid": .k8sPodUID, "k8s.pod.id": .k8sPodUID,
        "k8s.pod.labels": .k8sPodLabels, "k8s.pod.label": .k8sPodLabel, "k8s.pod.sandbox_id": .k8sPodSandboxID,
        "k8s.pod.full_sandbox_id": .k8sPodFullSandboxID,
        "fd.num": .fdNum, "fd.name": .fdName, "fd.nameraw": .fdNameRaw, "fd.directory": .fdDirectory,
        "fd.filename": .fdFilename, "fd.typechar": .fdTypeChar, "fd.type": .fdType, "fd.ino": .fdIno, "fd.dev": .fdDev,
        "proc.ppid": .procPpid, "proc.pname": .procPname, "proc.pexe": .procPexe, "proc.pexepath": .procPexePath,
        "proc.pcmdline": .procPcmdline, "proc.aname": .procAname, "proc.aexe": .procAexe,
        "proc.aexepath": .procAexePath, "proc.acmdline": .procAcmdline, "proc.apid": .procApid,
    ]

    static func of(_ field: ResolvedField) -> FieldCode { byName[field.info.name] ?? .external }

    /// Fields whose value comes from the container runtime (what an alert waits for while a
    /// container's lookup is pending).
    static let containerMetadataFieldNames: Set<String> = Set(byName.compactMap { $0.value.isContainerMetadata ? $0.key : nil })

    var isContainerMetadata: Bool {
        switch self {
        case .containerName, .containerType, .containerImage, .containerImageID, .containerImageRepository,
             .containerImageTag, .containerImageDigest, .containerPrivileged,
             .k8sNsName, .k8sPodName, .k8sPodUID, .k8sPodLabels, .k8sPodLabel, .k8sPodSandboxID, .k8sPodFullSandboxID:
            return true
        default:
            return false
        }
    }

    /// Numbers and flags read from the event's record alone: no process-table lookup, no
    /// context, no text to find. Checks on them are what the rule index may test before it
    /// extracts a costlier field (see `RuleIndex.TextField.guards`).
    var isFromRecordAlone: Bool {
        switch self {
        case .evtNum, .evtType, .evtDir, .evtSource, .evtCategory, .evtRawRes, .evtFailed,
             .evtIsOpenRead, .evtIsOpenWrite, .evtIsOpenCreate, .evtIsOpenExec,
             .procPid, .threadTid, .threadIsMain, .userUid, .groupGid, .procPpid,
             .fdNum, .fdTypeChar, .fdType, .fdIno, .fdDev:
            return true
        default:
            return false
        }
    }

    /// Fields answered from the event's record (its numbers, flags and paths): no lookup
    /// in the process table, the container layer or the context. Guarding them saves nothing.
    var readsRecordOnly: Bool {
        switch self {
        case .fdName, .fdNameRaw, .fdDirectory, .fdFilename, .evtArg, .evtRes, .evtTime, .evtHostname: return true
        default: return isFromRecordAlone
        }
    }

    /// Ancestor fields: index 0 is the process itself, 1 its parent; no index means any.
    var isAncestor: Bool {
        switch self {
        case .procAname, .procAexe, .procAexePath, .procAcmdline, .procApid: return true
        default: return false
        }
    }
}
