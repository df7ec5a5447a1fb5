# toolchain-common.cmake - shared part of the cross toolchain files in this directory.
#
# A per-target file sets CMAKE_SYSTEM_PROCESSOR, PINFOLD_CROSS_TRIPLE (the Debian cross
# tools' prefix), PINFOLD_CROSS_SYSROOT (where that target's libc lives, for the library
# search and qemu's -L), PINFOLD_CROSS_QEMU (the qemu-user program; empty for a target this
# machine runs natively), optionally CMAKE_C_COMPILER, then includes this file.
#
# Libraries the tests need and Debian does not ship for the target (cmocka; mbedTLS for
# big-endian mips) are built by test/cross/sysroot.sh into a per-target prefix, passed as
# -DPINFOLD_CROSS_PREFIX=DIR; uthash's headers are copied there too, because the host's
# /usr/include must never be searched for a target's headers.
#
# CMAKE_CROSSCOMPILING_EMULATOR makes ctest run every test executable under qemu-user,
# called explicitly (this machine has no binfmt_misc); test/cross/CMakeLists.txt hands
# the same emulator to the Python integration tests.
set(CMAKE_SYSTEM_NAME Linux)

# try_compile() projects re-read this file without our cache: pass these down.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PINFOLD_CROSS_PREFIX)

if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${PINFOLD_CROSS_TRIPLE}-gcc)
endif()
foreach(tool ar ranlib strip objcopy nm)
  string(TOUPPER ${tool} TOOL)
  if(NOT CMAKE_${TOOL})
    find_program(CMAKE_${TOOL} ${PINFOLD_CROSS_TRIPLE}-${tool})
  endif()
endforeach()

set(CMAKE_FIND_ROOT_PATH ${PINFOLD_CROSS_PREFIX} ${PINFOLD_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(PINFOLD_CROSS_QEMU)
  find_program(PINFOLD_QEMU_PROGRAM ${PINFOLD_CROSS_QEMU} NO_CMAKE_FIND_ROOT_PATH)
  if(NOT PINFOLD_QEMU_PROGRAM)
    message(FATAL_ERROR "${PINFOLD_CROSS_QEMU} not found (Debian: apt-get install qemu-user)")
  endif()
  # -L: the target's dynamic loader comes from its sysroot.  LD_LIBRARY_PATH: so does its
  # libc.  Without it the guest's loader follows the host's ld.so.cache to a multiarch
  # libc6:mipsel (pulled in by libmbedtls-dev:mipsel) of another build than the cross
  # ld.so.1, and the two do not mix: the child of every fork() dies of SIGSEGV.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PINFOLD_QEMU_PROGRAM} -L ${PINFOLD_CROSS_SYSROOT}
      -E LD_LIBRARY_PATH=${PINFOLD_CROSS_SYSROOT}/lib)
endif()
