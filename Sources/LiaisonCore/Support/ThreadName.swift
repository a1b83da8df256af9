import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread as `top -H`, `ps -L` and profilers show it.
public enum ThreadName {
    /// Sets the calling thread's name; Linux keeps its first 15 bytes.
    public static func set(_ name: String) {
        _ = pthread_setname_np(UInt(pthread_self()), String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }
}
