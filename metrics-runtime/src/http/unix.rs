//! Serving on a Unix domain socket (`endpoint.unix_socket`): binding with the configured permissions,
//! replacing a stale socket file, and removing the file when the server stops.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

/// The socket file a server created: removed when dropped, unless another server replaced it since.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    /// The file's inode and change time: an inode number alone may be reused by the next server's file.
    identity: (u64, i64, i64),
}

fn identity(meta: &std::fs::Metadata) -> (u64, i64, i64) {
    (meta.ino(), meta.ctime(), meta.ctime_nsec())
}

impl SocketFile {
    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| identity(&m) == self.identity) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn error(path: &Path, kind: io::ErrorKind, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(kind, format!("endpoint.unix_socket {}: {what}", path.display()))
}

/// Binds `path` with permissions `mode`.
///
/// A socket file nobody listens on (left by a process that died) is replaced; one a process still accepts
/// on is an error (`AddrInUse`), and so is a path that is not a socket. The socket is bound under a
/// temporary name in the same directory, given its permissions, then renamed into place, so that it is
/// never reachable with other permissions than `mode`.
pub(crate) fn bind(path: &Path, mode: u32) -> io::Result<(UnixListener, SocketFile)> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => return Err(error(path, io::ErrorKind::AddrInUse, "another process is serving on this socket")),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                tracing::info!(path = %path.display(), "replacing a stale socket file nobody listens on");
                std::fs::remove_file(path)
                    .map_err(|e| error(path, e.kind(), format!("cannot remove the stale socket: {e}")))?;
            }
            Err(e) => return Err(error(path, e.kind(), format!("a socket file is there and cannot be probed: {e}"))),
        },
        Ok(_) => {
            return Err(error(
                path,
                io::ErrorKind::AlreadyExists,
                "the path exists and is not a socket; it is left alone",
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(error(path, e.kind(), e)),
    }
    let name = path.file_name().ok_or_else(|| error(path, io::ErrorKind::InvalidInput, "names no file"))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temporary = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let listener = UnixListener::bind(&temporary).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::NotFound {
            format!(" (does {} exist?)", dir.display())
        } else {
            String::new()
        };
        error(path, e.kind(), format!("cannot bind: {e}{hint}"))
    })?;
    let placed = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(mode))
        .map_err(|e| error(path, e.kind(), format!("cannot set its permissions to {mode:o}: {e}")))
        .and_then(|()| {
            std::fs::rename(&temporary, path)
                .map_err(|e| error(path, e.kind(), format!("cannot move the socket into place: {e}")))
        })
        .and_then(|()| std::fs::symlink_metadata(path).map_err(|e| error(path, e.kind(), e)));
    match placed {
        Ok(meta) => Ok((listener, SocketFile { path: path.to_owned(), identity: identity(&meta) })),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("promstruct-unix-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn binds_with_its_mode_replaces_stale_sockets_and_refuses_live_ones() {
        let dir = scratch("bind");
        let path = dir.join("m.sock");
        let (listener, file) = bind(&path, 0o600).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // Another server on the same path is refused while this one listens.
        let err = bind(&path, 0o600).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
        assert!(err.to_string().contains("m.sock"), "{err}");
        // A dead server's file is replaced; dropping the old guard then leaves the new file alone.
        drop(listener);
        let (_listener, second) = bind(&path, 0o660).unwrap();
        drop(file);
        assert!(path.exists(), "the first guard removed the second server's socket");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o660);
        drop(second);
        assert!(!path.exists(), "the socket file is removed when its server stops");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_what_is_not_a_socket_and_names_a_missing_directory() {
        let dir = scratch("refuse");
        let path = dir.join("plain-file");
        std::fs::write(&path, "keep me").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = runtime.enter();
        let err = bind(&path, 0o660).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
        let err = bind(&dir.join("missing/m.sock"), 0o660).unwrap_err();
        assert!(err.to_string().contains("does") && err.to_string().contains("missing"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
