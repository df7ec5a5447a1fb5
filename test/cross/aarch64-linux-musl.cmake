# aarch64-linux-musl.cmake - CMake toolchain file: aarch64, musl libc, fully static:
# OpenWrt's aarch64_cortex-a53 (mediatek filogic, bcm27xx).  See musl-static-common.cmake.
#   sh test/cross/build.sh aarch64-linux-musl
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PINFOLD_CROSS_TRIPLE aarch64-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/musl-static-common.cmake)
# cmocka.h guesses a 32-bit uintptr_t where the libc defines no __WORDSIZE in <stdint.h>
# (musl) and the CPU is not x86_64: musl's own uintptr_t is the right one.
string(APPEND CMAKE_C_FLAGS_INIT " -D_UINTPTR_T_DEFINED")
