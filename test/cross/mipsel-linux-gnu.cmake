# mipsel-linux-gnu.cmake - CMake toolchain file: little-endian MIPS32r2, glibc (ramips/mt7621 routers: mipsel_24kc).
# Debian: gcc-mipsel-linux-gnu, qemu-user (see test/cross/deps.sh).
#   cmake -S . -B build-cross/mipsel-linux-gnu \
#         -DCMAKE_TOOLCHAIN_FILE=test/cross/mipsel-linux-gnu.cmake -DPINFOLD_CROSS_PREFIX=DIR
# test/cross/build.sh mipsel-linux-gnu does all of it.
set(CMAKE_SYSTEM_PROCESSOR mipsel)
set(PINFOLD_CROSS_TRIPLE mipsel-linux-gnu)
set(PINFOLD_CROSS_SYSROOT /usr/mipsel-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-mipsel)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
