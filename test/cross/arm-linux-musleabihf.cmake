# arm-linux-musleabihf.cmake - CMake toolchain file: arm, musl libc, fully static:
# OpenWrt's arm_cortex-a7/a9 with VFP (ipq40xx, mvebu).  See musl-static-common.cmake.
#   sh test/cross/build.sh arm-linux-musleabihf
set(CMAKE_SYSTEM_PROCESSOR arm)
set(PINFOLD_CROSS_TRIPLE arm-linux-gnueabihf)
set(PINFOLD_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/musl-static-common.cmake)
