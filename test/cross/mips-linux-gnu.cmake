# mips-linux-gnu.cmake - CMake toolchain file: big-endian MIPS32r2, glibc (ath79 routers: mips_24kc).
# Debian: gcc-mips-linux-gnu, qemu-user (see test/cross/deps.sh).
#   cmake -S . -B build-cross/mips-linux-gnu \
#         -DCMAKE_TOOLCHAIN_FILE=test/cross/mips-linux-gnu.cmake -DPINFOLD_CROSS_PREFIX=DIR
# test/cross/build.sh mips-linux-gnu does all of it.
set(CMAKE_SYSTEM_PROCESSOR mips)
set(PINFOLD_CROSS_TRIPLE mips-linux-gnu)
set(PINFOLD_CROSS_SYSROOT /usr/mips-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-mips)
set(PINFOLD_CROSS_LOADER lib/ld.so.1)
# 64-bit off_t, ino_t and time_t, as musl 1.2 (OpenWrt since 21.02) has them on 32-bit
# targets.  It also keeps readdir() working under qemu-user on a 64-bit host, where ext4
# hands out 64-bit directory offsets that a 32-bit struct dirent cannot hold (EOVERFLOW).
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64")
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
