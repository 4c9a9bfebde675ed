#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The symbolic name of an errno value, for messages: `EACCES`, not `13`.
func errnoName(_ code: Int32) -> String {
    switch code {
    case EPERM: return "EPERM"
    case ENOENT: return "ENOENT"
    case ESRCH: return "ESRCH"
    case EINTR: return "EINTR"
    case EIO: return "EIO"
    case EBADF: return "EBADF"
    case EAGAIN: return "EAGAIN"
    case ENOMEM: return "ENOMEM"
    case EACCES: return "EACCES"
    case EINVAL: return "EINVAL"
    case EMFILE: return "EMFILE"
    case ENFILE: return "ENFILE"
    case ENOBUFS: return "ENOBUFS"
    case EPROTO: return "EPROTO"
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
    case EAFNOSUPPORT: return "EAFNOSUPPORT"
    case EOPNOTSUPP: return "EOPNOTSUPP"
    default:
        if let text = strerror(code) { return "errno \(code) (\(String(cString: text)))" }
        return "errno \(code)"
    }
}
