# toolchain-common.cmake - shared part of the cross toolchain files in this directory.
#
# A per-target file sets CMAKE_SYSTEM_PROCESSOR, PINFOLD_CROSS_TRIPLE (the Debian cross
# tools' prefix), PINFOLD_CROSS_SYSROOT (where that target's libc lives, for the library
# search and the emulator), PINFOLD_CROSS_QEMU (the qemu-user program; empty for a target this
# machine runs natively), PINFOLD_CROSS_LOADER (the target's dynamic loader, relative to
# the sysroot), optionally CMAKE_C_COMPILER and flags, then includes this file.
#
# Libraries Debian does not ship for the target (cmocka, libxcrypt; mbedTLS for big-endian
# mips) are built by test/cross/sysroot.sh into a per-target prefix, passed as
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
endif()
if(PINFOLD_CROSS_QEMU AND NOT PINFOLD_CROSS_LOADER)
  # A static binary (the *-musl* targets): qemu alone, with no sysroot and nothing to load.
  # (No qemu-sockerr.so either: a static program takes no preload.)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PINFOLD_QEMU_PROGRAM})
elseif(PINFOLD_CROSS_QEMU)
  # qemu runs the target's own dynamic loader, which loads the program and the target's
  # libc from the sysroot by explicit path.  Not `qemu -L SYSROOT`, for two reasons:
  # -L redirects every absolute path the program opens while a same-named file exists in
  # the sysroot, and it caches those answers, which goes wrong after the program's own
  # chroot(); and the guest loader would still read the host's ld.so.cache, which leads
  # it to a multiarch libc6:mipsel (libmbedtls-dev:mipsel pulls it in) of another build
  # than the cross ld.so.1: the two do not mix, and the child of every fork() dies.
  # Libraries: the sysroot's libc first, then what sysroot.sh built (mbedTLS for mips),
  # then Debian's multiarch ones (mbedTLS for mipsel).
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PINFOLD_QEMU_PROGRAM}
      ${PINFOLD_CROSS_SYSROOT}/${PINFOLD_CROSS_LOADER}
      --library-path ${PINFOLD_CROSS_SYSROOT}/lib:${PINFOLD_CROSS_PREFIX}/lib:/usr/lib/${PINFOLD_CROSS_TRIPLE})
  # MIPS: undo qemu's untranslated getsockopt(SO_ERROR) errno (see qemu-sockerr.c).
  if(PINFOLD_CROSS_PREFIX AND EXISTS ${PINFOLD_CROSS_PREFIX}/lib/qemu-sockerr.so)
    list(APPEND CMAKE_CROSSCOMPILING_EMULATOR --preload ${PINFOLD_CROSS_PREFIX}/lib/qemu-sockerr.so)
  endif()
endif()
