# What `cmake --install` puts where (relative to the install prefix), and
# the generated documents it installs: the manual pages and the bash
# completion come from the option table through the built wal-ed, so they
# cannot drift from --help. The systemd units get the ExecStart path of the
# prefix they are installed under (see install_units.cmake).
include(GNUInstallDirs)

set(WALE_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "systemd unit directory, relative to the install prefix")
set(WALE_TMPFILES_DIR "lib/tmpfiles.d" CACHE STRING "tmpfiles.d directory, relative to the install prefix")
set(WALE_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "bash completion directory, relative to the install prefix")
# The archive_library module (module/) installs wal_e_archive.so with its
# own rule into each PostgreSQL's pkglibdir (what its pg_config says, an
# absolute path), as the install component "module": `cmake --install
# build --component module` installs it alone, and the Debian package
# (WalePackage.cmake) carries every component.

set(generated ${CMAKE_BINARY_DIR}/generated)
set(wale_ed $<TARGET_FILE:wal-ed>)
add_custom_command(OUTPUT ${generated}/wal-e.1 ${generated}/wal-ed.8 ${generated}/wal-e.bash-completion
  COMMAND ${CMAKE_COMMAND} -E make_directory ${generated}
  COMMAND sh -c "\"$1\" --man wal-e > \"$2\" && \"$1\" --man wal-ed > \"$3\" && \"$1\" --bash-completion > \"$4\""
          sh ${wale_ed} ${generated}/wal-e.1 ${generated}/wal-ed.8 ${generated}/wal-e.bash-completion
  DEPENDS wal-ed
  COMMENT "Generating wal-e.1, wal-ed.8 and the bash completion from the option table"
  VERBATIM)
add_custom_target(wale_documents ALL DEPENDS ${generated}/wal-e.1 ${generated}/wal-ed.8 ${generated}/wal-e.bash-completion)

install(TARGETS wal-e wal-ed RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT wal-e)
install(FILES ${generated}/wal-e.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT wal-e)
install(FILES ${generated}/wal-ed.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT wal-e)
# bash-completion loads a command's completion from a file of its name.
install(FILES ${generated}/wal-e.bash-completion DESTINATION ${WALE_BASH_COMPLETION_DIR} RENAME wal-e COMPONENT wal-e)
install(FILES ${generated}/wal-e.bash-completion DESTINATION ${WALE_BASH_COMPLETION_DIR} RENAME wal-ed COMPONENT wal-e)
install(CODE "set(WALE_UNIT_SOURCES \"${PROJECT_SOURCE_DIR}/systemd\")
              set(WALE_UNIT_WORK \"${CMAKE_BINARY_DIR}/generated/units\")
              set(WALE_SYSTEMD_UNIT_DIR \"${WALE_SYSTEMD_UNIT_DIR}\")
              set(WALE_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")"
        COMPONENT wal-e)
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_units.cmake COMPONENT wal-e)
install(FILES systemd/wal-e.tmpfiles.conf DESTINATION ${WALE_TMPFILES_DIR} RENAME wal-e.conf COMPONENT wal-e)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT wal-e)
install(FILES examples/postgresql.conf.snippet examples/quickstart.sh DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT wal-e)
install(DIRECTORY examples/env DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT wal-e)
