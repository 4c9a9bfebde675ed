import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// uid → user name from the password database (NSS), remembered: a lookup may go to sssd or
/// LDAP, and a daemon sees the same few uids all day.
final class UserNames: Sendable {
    private let names = Mutex<[UInt32: String?]>([:])
    private let capacity = 4096

    /// The name of `uid`, or `nil` when the password database has none.
    func name(of uid: UInt32) -> String? {
        if let cached = self.names.withLock({ $0[uid] }) {
            return cached
        }
        let name = Self.lookUp(uid)
        self.names.withLock { names in
            if names.count >= self.capacity { names.removeAll(keepingCapacity: true) }
            names[uid] = .some(name)
        }
        return name
    }

    private static func lookUp(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var size = 1024
        var resultName: String?
        while size <= 1 << 20 {
            let status = withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer -> Int32 in
                let status = getpwuid_r(uid_t(uid), &entry, buffer.baseAddress!, size, &result)
                if status == 0, let found = result, let name = found.pointee.pw_name {
                    resultName = String(cString: name)
                }
                return status
            }
            if status == ERANGE {
                size *= 4
                continue
            }
            break
        }
        return resultName
    }
}
