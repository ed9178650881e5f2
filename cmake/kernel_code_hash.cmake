# TANDEM_KERNEL_CODE_HASH: the first 12 hex digits of a SHA-256 over the code that
# decides how a node runs and so how long it takes (src/backends, src/ir, src/ops).
# Profiles are keyed by it (profile/fingerprint.cpp): times measured by other kernels
# are stale. CMake re-runs when any of these files changes, so the hash follows edits.
function(tandem_kernel_code_hash out_var)
  file(GLOB_RECURSE files LIST_DIRECTORIES false
    ${PROJECT_SOURCE_DIR}/src/backends/*.cpp ${PROJECT_SOURCE_DIR}/src/backends/*.h
    ${PROJECT_SOURCE_DIR}/src/backends/*.cu ${PROJECT_SOURCE_DIR}/src/backends/*.cuh
    ${PROJECT_SOURCE_DIR}/src/ir/*.cpp ${PROJECT_SOURCE_DIR}/src/ir/*.h
    ${PROJECT_SOURCE_DIR}/src/ops/*.cpp ${PROJECT_SOURCE_DIR}/src/ops/*.h)
  list(SORT files)
  set(digests "")
  foreach(f IN LISTS files)
    file(SHA256 ${f} digest)
    file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR} ${f})
    string(APPEND digests "${name} ${digest}\n")
  endforeach()
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${files})
  string(SHA256 all "${digests}")
  string(SUBSTRING ${all} 0 12 short)
  set(${out_var} ${short} PARENT_SCOPE)
endfunction()
