# The one place that holds Mica's compiler flags and build rules.
#
#   mica_freestanding(<target> KERNEL|KERNEL_UBSAN|USER|USER_FPU)  flags per kind
#   mica_add_server(<name> SOURCES ...)      a user-space server, one ELF module
#   mica_add_test_program(<name> SOURCES ...) the same, for test ISOs only
#   mica_add_host_test(<name> SOURCES ...)   a host unit test under ASan/UBSan
#   mica_add_fuzz_test(<name> SOURCES ...)   a bounded libFuzzer run as a test
#
# Everything that runs on Mica is built for ${MICA_TARGET_TRIPLE}; everything
# that runs on the build machine (tests, fuzzers) is built for the host.

set(MICA_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)

# Shared by kernel and user code: no host headers or libraries, frame pointers
# kept so that panics and faults can print a backtrace.
set(MICA_FREESTANDING_FLAGS
    --target=${MICA_TARGET_TRIPLE} -std=c11 -ffreestanding -nostdlibinc
    -fno-pic -fno-pie -fno-omit-frame-pointer -fno-common -O2 -g
    ${MICA_WARNINGS})

# The kernel runs in the top 2 GiB (-mcmodel=kernel), takes interrupts on the
# current stack (no red zone, SDM Vol. 3A §6.14.2) and never touches FPU/SSE
# state, so user state needs no save on kernel entry.
set(MICA_KERNEL_FLAGS -mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2
    -mno-avx -msoft-float -fstack-protector-strong)
# Servers and libc-mini are integer-only: they never touch FPU/SSE state,
# so with the kernel's lazy FPU switching an IPC between them moves no FPU
# registers at all. A program that computes with floating point or SIMD
# asks for it (mica_add_server ... FPU) and gets the registers on first use.
set(MICA_USER_FLAGS -mcmodel=small -mno-mmx -mno-sse -mno-sse2 -mno-avx)
set(MICA_USER_FPU_FLAGS -mcmodel=small)

set(MICA_LINK_FLAGS --target=${MICA_TARGET_TRIPLE} -nostdlib -static -fuse-ld=lld
    -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack)

function(mica_freestanding target kind)
    target_compile_options(${target} PRIVATE ${MICA_FREESTANDING_FLAGS})
    if(kind STREQUAL "KERNEL" OR kind STREQUAL "KERNEL_UBSAN")
        target_compile_options(${target} PRIVATE ${MICA_KERNEL_FLAGS})
        if(kind STREQUAL "KERNEL_UBSAN")
            target_compile_options(${target} PRIVATE -fsanitize=undefined
                -fno-sanitize=function,vptr -fno-sanitize-recover=all)
            target_compile_definitions(${target} PRIVATE MICA_UBSAN=1)
        endif()
    elseif(kind STREQUAL "USER")
        target_compile_options(${target} PRIVATE ${MICA_USER_FLAGS})
    elseif(kind STREQUAL "USER_FPU")
        target_compile_options(${target} PRIVATE ${MICA_USER_FPU_FLAGS})
    else()
        message(FATAL_ERROR
            "mica_freestanding: kind must be KERNEL, KERNEL_UBSAN, USER or USER_FPU")
    endif()
    target_include_directories(${target} PRIVATE
        ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/libc-mini/include)
endfunction()

# Links a freestanding executable with the given linker script.
function(mica_link_elf target script)
    target_link_options(${target} PRIVATE ${MICA_LINK_FLAGS} -Wl,-T,${script})
    set_target_properties(${target} PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${script})
endfunction()

# The build of one user-space program: <name>.elf against libc-mini.
# mica_user_program(<name> USER|USER_FPU <sources...>)
function(mica_user_program name kind)
    add_executable(${name} ${ARGN})
    mica_freestanding(${name} ${kind})
    target_link_libraries(${name} PRIVATE mica-libc-user)
    mica_link_elf(${name} ${PROJECT_SOURCE_DIR}/libc-mini/user.ld)
endfunction()

# mica_add_server(<name> [ONDEMAND] [FPU] [BUDGET <f,t,th,o>] [CAPS <a,b>]
#                 [NAMES <a,b>] SOURCES <files...>)
# Builds servers/<name> as <name>.elf against libc-mini and records it as a
# boot module; the ISO rules stage every recorded module.
# With ONDEMAND, its module2 line says "ondemand": init does not start it
# at boot but on request (NS_SPAWN), e.g. the fuzzer.
# With FPU, it may use floating point and SIMD (see MICA_USER_FLAGS).
# With BUDGET, its line says "budget=<frames>,<tasks>,<threads>,<objects>":
# the kernel budget init asks for it (else the kernel's defaults, which
# allow no child tasks), for programs that start others.
# With CAPS, its line says "caps=...": what init gives it on request
# (servers/init/supervise.h): ram, devices, log, rawlog (kernel-log lines as
# they are: the SPEC section 8 lines tests read), control (power off, crash
# requests). With NAMES, "names=...": names it may register besides its
# own.
function(mica_add_server name)
    cmake_parse_arguments(ARG "ONDEMAND;FPU" "BUDGET;CAPS;NAMES" "SOURCES" ${ARGN})
    if(ARG_FPU)
        mica_user_program(${name} USER_FPU ${ARG_SOURCES})
    else()
        mica_user_program(${name} USER ${ARG_SOURCES})
    endif()
    set(entry ${name})
    if(ARG_ONDEMAND)
        string(APPEND entry ":ondemand")
    endif()
    if(ARG_CAPS)
        string(APPEND entry ":caps=${ARG_CAPS}")
    endif()
    if(ARG_NAMES)
        string(APPEND entry ":names=${ARG_NAMES}")
    endif()
    if(ARG_BUDGET)
        string(APPEND entry ":budget=${ARG_BUDGET}")
    endif()
    set_property(GLOBAL APPEND PROPERTY MICA_SERVERS "${entry}")
endfunction()

# mica_add_test_program(<name> SOURCES <files...>)
# Built like a server but not recorded: it boots only on the test ISOs that
# stage it themselves (mica_add_iso EXTRA_DIR/EXTRA_CFG).
function(mica_add_test_program name)
    cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
    mica_user_program(${name} USER_FPU ${ARG_SOURCES})
endfunction()

# Host code: the project's pure modules compiled for the build machine.
set(MICA_HOST_FLAGS -std=c11 -g -O1 -fno-omit-frame-pointer ${MICA_WARNINGS}
    -DMICA_HOST=1)

# mica_add_host_test(<name> SOURCES <files...> [LABELS <labels...>])
function(mica_add_host_test name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LABELS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    set(san -fsanitize=address,undefined -fno-sanitize-recover=all)
    target_compile_options(${name} PRIVATE ${MICA_HOST_FLAGS} ${san})
    target_link_options(${name} PRIVATE ${san})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/kernel ${PROJECT_SOURCE_DIR}/tests/unit)
    if(NOT ARG_LABELS)
        set(ARG_LABELS unit)
    endif()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()

# mica_add_fuzz_test(<name> SOURCES <files...> CORPUS <dir> RUNS <n>)
# A libFuzzer target run for a bounded number of inputs from the seed corpus.
function(mica_add_fuzz_test name)
    cmake_parse_arguments(ARG "" "CORPUS;RUNS" "SOURCES" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    set(san -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
    target_compile_options(${name} PRIVATE ${MICA_HOST_FLAGS} ${san})
    target_link_options(${name} PRIVATE ${san})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/kernel)
    add_test(NAME ${name}
        COMMAND ${name} -runs=${ARG_RUNS} -seed=1 -max_len=65536 ${ARG_CORPUS})
    set_tests_properties(${name} PROPERTIES LABELS "fuzz;unit" TIMEOUT 600)
endfunction()
