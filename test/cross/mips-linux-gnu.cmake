# mips-linux-gnu.cmake - CMake toolchain file: big-endian MIPS32r2, glibc (ath79 routers: mips_24kc).
# Debian: gcc-mips-linux-gnu, qemu-user (see test/cross/deps.sh).
#   cmake -S . -B build-cross/mips-linux-gnu \
#         -DCMAKE_TOOLCHAIN_FILE=test/cross/mips-linux-gnu.cmake -DPINFOLD_CROSS_PREFIX=DIR
# test/cross/build.sh mips-linux-gnu does all of it.
set(CMAKE_SYSTEM_PROCESSOR mips)
set(PINFOLD_CROSS_TRIPLE mips-linux-gnu)
set(PINFOLD_CROSS_SYSROOT /usr/mips-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-mips)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
