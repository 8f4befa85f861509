# Installs the systemd units with the ExecStart (and any other) path of the
# binaries rewritten from /usr/local/bin, the path in the source units, to
# the prefix being installed to: it is only known at install time (cmake
# --install --prefix, CPack's /usr). Run by `cmake --install` with the
# variables WaleInstall.cmake sets.
file(GLOB units "${WALE_UNIT_SOURCES}/*.service" "${WALE_UNIT_SOURCES}/*.socket")
set(bindir "${WALE_INSTALL_BINDIR}")
if(NOT IS_ABSOLUTE "${bindir}")
  set(bindir "${CMAKE_INSTALL_PREFIX}/${bindir}")
endif()
file(MAKE_DIRECTORY "${WALE_UNIT_WORK}")
foreach(unit IN LISTS units)
  get_filename_component(name "${unit}" NAME)
  file(READ "${unit}" text)
  string(REPLACE "/usr/local/bin/" "${bindir}/" text "${text}")
  file(WRITE "${WALE_UNIT_WORK}/${name}" "${text}")
  file(INSTALL "${WALE_UNIT_WORK}/${name}" DESTINATION "${CMAKE_INSTALL_PREFIX}/${WALE_SYSTEMD_UNIT_DIR}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
