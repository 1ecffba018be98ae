# The in-guest test programs as on-demand boot modules of every ISO
# (included from servers/CMakeLists.txt, because the ISO rules take the
# module list when cmake/Iso.cmake is included, before tests/):
#   testsuite  the test runner (tests/guest/ktest.h); the shell's `tests`
#              starts it, and the test ISO boots it as testsuite-boot
#   crasher    faults on request for the fault suite, or spins on chosen
#              CPUs for the smp suite (crasher/crasher.h)
# GUEST_SUITES names the suites; suite <s> is testsuite/test_<s>.c, and
# tests/guest/CMakeLists.txt gives each one a CTest test.

set(GUEST_SUITES ipc syscall mem thread ns fault cap notify uptr sched console fastpath smp)
set_property(GLOBAL PROPERTY MICA_GUEST_SUITES ${GUEST_SUITES})

set(guest_dir ${CMAKE_CURRENT_LIST_DIR})
set(guest_sources ${guest_dir}/ktest.c ${guest_dir}/testsuite/main.c)
foreach(suite IN LISTS GUEST_SUITES)
    list(APPEND guest_sources ${guest_dir}/testsuite/test_${suite}.c)
endforeach()

mica_add_server(testsuite ONDEMAND FPU CAPS rawlog BUDGET 768,4,24,96 SOURCES ${guest_sources})
target_include_directories(testsuite PRIVATE ${guest_dir})
# Six helper threads (ktest.h), for the smp suite's three pairs of pinned
# threads; with the runner itself that leaves one of a task's eight thread
# slots free, for the tests that create a thread.
target_compile_definitions(testsuite PRIVATE KT_HELPERS=6)
mica_add_server(crasher ONDEMAND CAPS rawlog SOURCES ${guest_dir}/crasher/main.c
    ${guest_dir}/crasher/edge.S)
# Its own linker script: the edge code is the last page of the user half.
set_target_properties(crasher PROPERTIES
    LINK_OPTIONS "${MICA_LINK_FLAGS};-Wl,-T,${guest_dir}/crasher/crasher.ld"
    LINK_DEPENDS ${guest_dir}/crasher/crasher.ld)
