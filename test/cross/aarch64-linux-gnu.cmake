# aarch64-linux-gnu.cmake - CMake toolchain file: 64-bit ARM, glibc (filogic/mediatek, bcm27xx, rockchip: aarch64_cortex-a53).
# Debian: gcc-aarch64-linux-gnu, qemu-user (see test/cross/deps.sh).
#   cmake -S . -B build-cross/aarch64-linux-gnu \
#         -DCMAKE_TOOLCHAIN_FILE=test/cross/aarch64-linux-gnu.cmake -DPINFOLD_CROSS_PREFIX=DIR
# test/cross/build.sh aarch64-linux-gnu does all of it.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PINFOLD_CROSS_TRIPLE aarch64-linux-gnu)
set(PINFOLD_CROSS_SYSROOT /usr/aarch64-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-aarch64)
set(PINFOLD_CROSS_LOADER lib/ld-linux-aarch64.so.1)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
