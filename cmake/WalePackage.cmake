# `cpack -G DEB` in the build directory makes wal-e_<version>_<arch>.deb:
# everything `cmake --install` installs (every component, the module's
# too when it is built), under /usr, binaries stripped, the shared-library
# dependencies found by dpkg-shlibdeps (package dpkg-dev), and maintainer
# scripts that create the postgres user and /var/lib/wal-e (cmake/debian/).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wal-e)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "wal-e")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "continuous archiving for PostgreSQL, in WAL-E's format, with a resident daemon")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "wal-e maintainers <wal-e@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The first line is the synopsis; CPack indents the others.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "continuous archiving for PostgreSQL, in WAL-E's format
wal-e keeps WAL-E's commands, environment variables and storage layout
(version 005) and runs as a tiny shim for archive_command and
restore_command plus the resident daemon wal-ed (systemd service
wal-ed.service), which uploads WAL on keep-alive connections, reads
ahead and prefetches during recovery.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Besides the libraries: adduser creates the postgres user (the service
# reads its envdir itself, wal-ed --envdir), and libpq5, which backup-push
# loads when it first connects (dpkg-shlibdeps cannot see it).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libpq5")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15, lzop, lz4, zstd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/debian/postinst ${PROJECT_SOURCE_DIR}/cmake/debian/prerm ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
