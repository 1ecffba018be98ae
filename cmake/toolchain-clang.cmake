# Toolchain: clang for every C and assembly file, ld.lld for every link.
#
# Host code (unit tests, fuzzers) uses clang's default host target. Kernel,
# servers and libc-mini add the freestanding flag block of cmake/Mica.cmake,
# which sets --target=x86_64-unknown-none-elf; this file only picks the tools.
find_program(MICA_CLANG clang)
if(NOT MICA_CLANG)
    message(FATAL_ERROR "Mica builds with clang: apt-get install clang")
endif()
set(CMAKE_C_COMPILER clang CACHE STRING "C compiler")
set(CMAKE_ASM_COMPILER clang CACHE STRING "Assembler (through the clang driver)")
set(CMAKE_LINKER ld.lld CACHE STRING "Linker")
set(MICA_TARGET_TRIPLE x86_64-unknown-none-elf CACHE INTERNAL "Freestanding target")
