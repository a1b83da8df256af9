import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread as `top -H`, `ps -L` and profilers show it.
public enum ThreadName {
    /// Sets the calling thread's name, cut to the 15 bytes Linux keeps (at a
    /// character boundary: a longer name is refused, and the thread left unnamed).
    public static func set(_ name: String) {
        _ = pthread_setname_np(UInt(pthread_self()), String(name.prefix(utf8Bytes: 15)))
    }
}
